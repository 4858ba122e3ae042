import * as E from 'fp-ts/Either';
import type { ConfChange, ConfState, NodeId } from './types';

// Membership changes, one server at a time (Raft dissertation §4.1). A change
// takes effect on a node when that node applies the committed entry; the
// leader accepts a new change only once the previous one has been applied.

export function encodeConfChange(cc: ConfChange): Buffer {
  return Buffer.from(JSON.stringify(cc), 'utf8');
}

export function decodeConfChange(data: Buffer): E.Either<string, ConfChange> {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return E.left('configuration entry is not valid JSON');
  }
  if (typeof v !== 'object' || v === null) return E.left('configuration entry is not an object');
  const o = v as { type?: unknown; node?: unknown };
  if (typeof o.node !== 'number' || !Number.isInteger(o.node) || o.node <= 0) {
    return E.left('configuration entry needs a positive integer "node"');
  }
  if (o.type === 'addLearner' || o.type === 'addVoter' || o.type === 'removeNode') {
    return E.right({ type: o.type, node: o.node });
  }
  return E.left(`unknown configuration change type ${String(o.type)}`);
}

/** The membership a node currently acts on. */
export class Membership {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();

  constructor(conf: ConfState) {
    this.reset(conf);
  }

  reset(conf: ConfState): void {
    this.voters.clear();
    this.learners.clear();
    for (const v of conf.voters) this.voters.add(v);
    for (const l of conf.learners) this.learners.add(l);
  }

  has(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  /** Members other than `self`, in id order (deterministic message order). */
  peersOf(self: NodeId): NodeId[] {
    return [...this.voters, ...this.learners].filter((id) => id !== self).sort((a, b) => a - b);
  }

  toConfState(): ConfState {
    const byId = (a: number, b: number) => a - b;
    return { voters: [...this.voters].sort(byId), learners: [...this.learners].sort(byId) };
  }

  /** Why `cc` cannot be proposed against this membership, if it cannot. */
  validate(cc: ConfChange): string | undefined {
    switch (cc.type) {
      case 'addLearner':
        return this.has(cc.node) ? `node ${cc.node} is already a member` : undefined;
      case 'addVoter':
        return this.voters.has(cc.node) ? `node ${cc.node} is already a voter` : undefined;
      case 'removeNode':
        if (!this.has(cc.node)) return `node ${cc.node} is not a member`;
        if (this.voters.has(cc.node) && this.voters.size === 1) return 'cannot remove the last voter';
        return undefined;
    }
  }

  apply(cc: ConfChange): void {
    switch (cc.type) {
      case 'addLearner':
        if (!this.voters.has(cc.node)) this.learners.add(cc.node);
        return;
      case 'addVoter':
        this.learners.delete(cc.node);
        this.voters.add(cc.node);
        return;
      case 'removeNode':
        this.voters.delete(cc.node);
        this.learners.delete(cc.node);
        return;
    }
  }
}

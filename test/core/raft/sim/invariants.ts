import type { Raft } from '../../../../core/raft/raft';
import { NONE, type Entry, type HardState, type NodeId } from '../../../../core/raft/types';

/** Thrown by the simulation when a safety property breaks; carries the property's name. */
export class InvariantViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}

const sameEntry = (a: Entry, b: Entry) => a.term === b.term && a.type === b.type && a.data.equals(b.data);

/**
 * Raft's safety properties (Figure 3 of the paper), checked incrementally as
 * nodes persist, commit and apply, so every simulation step is covered at a
 * cost proportional to what changed.
 */
export class SafetyChecker {
  /** Election safety: term -> leader. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Log matching: (index, term) -> the entry and the term before it. */
  private readonly written = new Map<string, { entry: Entry; prevTerm: number | undefined }>();
  /** State machine safety: index -> the committed entry. */
  private readonly committed = new Map<number, Entry>();
  private maxCommitted = 0;
  private readonly lastApplied = new Map<NodeId, number>();
  private readonly lastHardState = new Map<NodeId, HardState>();

  get highestCommitted(): number {
    return this.maxCommitted;
  }

  committedEntry(index: number): Entry | undefined {
    return this.committed.get(index);
  }

  /** At most one leader per term; a new leader holds every committed entry (leader completeness). */
  observeRole(node: Raft): void {
    if (node.role !== 'leader') return;
    const known = this.leaderOfTerm.get(node.term);
    if (known === undefined) {
      this.leaderOfTerm.set(node.term, node.id);
      this.checkLeaderCompleteness(node);
    } else if (known !== node.id) {
      throw new InvariantViolation('election safety', `nodes ${known} and ${node.id} both lead term ${node.term}`);
    }
  }

  private checkLeaderCompleteness(node: Raft): void {
    const log = node.log;
    if (log.lastIndex() < this.maxCommitted) {
      throw new InvariantViolation(
        'leader completeness',
        `leader ${node.id} of term ${node.term} ends at ${log.lastIndex()} but ${this.maxCommitted} is committed`,
      );
    }
    for (let i = log.firstIndex(); i <= this.maxCommitted; i++) {
      const c = this.committed.get(i);
      const mine = log.entry(i);
      if (c !== undefined && (mine === undefined || !sameEntry(c, mine))) {
        throw new InvariantViolation('leader completeness', `leader ${node.id} of term ${node.term} lacks committed entry ${i}`);
      }
    }
  }

  /** Entries a node made durable: same (index, term) means same entry and same predecessor. */
  observePersisted(node: Raft, entries: readonly Entry[]): void {
    for (const e of entries) {
      const prevTerm = node.log.term(e.index - 1);
      const key = `${e.index}:${e.term}`;
      const seen = this.written.get(key);
      if (seen === undefined) {
        this.written.set(key, { entry: e, prevTerm });
        continue;
      }
      if (!sameEntry(seen.entry, e)) {
        throw new InvariantViolation('log matching', `node ${node.id} holds a different entry at index ${e.index} term ${e.term}`);
      }
      if (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm) {
        throw new InvariantViolation('log matching', `node ${node.id}: entry ${e.index}/${e.term} follows term ${prevTerm}, elsewhere ${seen.prevTerm}`);
      }
    }
  }

  /** Terms never go back, a node votes once per term, and commit indexes only grow. */
  observeHardState(node: Raft, hs: HardState): void {
    const prev = this.lastHardState.get(node.id);
    if (prev !== undefined) {
      if (hs.term < prev.term) throw new InvariantViolation('monotonic term', `node ${node.id} went from term ${prev.term} to ${hs.term}`);
      if (hs.term === prev.term && prev.vote !== NONE && hs.vote !== prev.vote) {
        throw new InvariantViolation('one vote per term', `node ${node.id} voted for ${prev.vote} then ${hs.vote} in term ${hs.term}`);
      }
      if (hs.commit < prev.commit) {
        throw new InvariantViolation('monotonic commit', `node ${node.id} commit went from ${prev.commit} to ${hs.commit}`);
      }
    }
    this.lastHardState.set(node.id, hs);
    this.observeCommit(node, (prev?.commit ?? 0) + 1, hs.commit);
  }

  /** A commit index about to be acted on (applied) before it is written: not yet durable. */
  observeCommitIndex(node: Raft, commit: number): void {
    this.observeCommit(node, node.log.applied + 1, commit);
  }

  private observeCommit(node: Raft, from: number, commit: number): void {
    for (let i = Math.max(from, node.log.firstIndex()); i <= commit; i++) {
      if (i <= this.maxCommitted && this.committed.has(i)) {
        const mine = node.log.entry(i);
        const c = this.committed.get(i) as Entry;
        if (mine !== undefined && !sameEntry(c, mine)) {
          throw new InvariantViolation('state machine safety', `node ${node.id} committed a different entry at index ${i}`);
        }
        continue;
      }
      const mine = node.log.entry(i);
      if (mine !== undefined) this.committed.set(i, mine);
    }
    this.maxCommitted = Math.max(this.maxCommitted, commit);
  }

  /** The node's state machine was reset to a snapshot at `index`. */
  observeSnapshotInstalled(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  /** Applied entries are contiguous and are exactly the committed log. */
  observeApplied(id: NodeId, e: Entry): void {
    const last = this.lastApplied.get(id) ?? 0;
    if (e.index !== last + 1) {
      throw new InvariantViolation('applied prefix', `node ${id} applied ${e.index} after ${last}`);
    }
    this.lastApplied.set(id, e.index);
    const c = this.committed.get(e.index);
    if (c === undefined) {
      throw new InvariantViolation('applied prefix', `node ${id} applied ${e.index}, which no node reported committed`);
    }
    if (!sameEntry(c, e)) {
      throw new InvariantViolation('state machine safety', `node ${id} applied a different command at index ${e.index}`);
    }
  }
}

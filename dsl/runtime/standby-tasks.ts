// Standby tasks: warm copies of the stores of tasks this instance does not
// run, kept by reading their changelogs without processing anything. When a
// standby's task is assigned here, the task takes over its stores and
// restores only the changelog written since the last catch-up. Only stores
// with their own changelog are kept warm (a table read from a source topic is
// restored as usual).
import type { LogClient } from '../../core/client';
import { warningsOnly, type Logger } from '../logger';
import type { Topology } from '../topology/topology';
import { restoreStore } from './restore';
import { createStore, type AnyStore } from './stream-task';

/** A standby's stores and, per store, the next changelog offset to apply. */
export interface WarmStores {
  readonly stores: ReadonlyMap<string, AnyStore>;
  readonly positions: Map<string, number>;
}

export class StandbyTasks {
  private readonly standbys = new Map<number, WarmStores>();
  private updating: Promise<void> | undefined;

  constructor(
    private readonly client: LogClient,
    private readonly topology: Topology,
    private readonly log: Logger,
  ) {}

  /** A catch-up pass is running or queued. */
  get busy(): boolean {
    return this.updating !== undefined;
  }

  /** The partitions kept warm, ascending. */
  get partitions(): number[] {
    return [...this.standbys.keys()].sort((a, b) => a - b);
  }

  /** A standby task's next changelog offset to apply per store (a store not caught up once yet has none). */
  positionsOf(partition: number): ReadonlyMap<string, number> {
    return new Map(this.standbys.get(partition)?.positions);
  }

  /** Keeps exactly these partitions warm: new ones start empty (caught up by the next catchUp()), others are dropped. */
  set(partitions: readonly number[]): void {
    const wanted = new Set(partitions);
    for (const p of this.standbys.keys()) if (!wanted.has(p)) this.standbys.delete(p);
    for (const p of wanted) {
      if (this.standbys.has(p)) continue;
      const stores = new Map(this.topology.stores.filter((s) => s.changelog === 'own' && s.changelogTopic).map((s) => [s.name, createStore(s)] as const));
      this.standbys.set(p, { stores, positions: new Map() });
    }
  }

  /** Resolves once no catch-up pass is running. */
  async idle(): Promise<void> {
    while (this.updating) await this.updating;
  }

  /** Hands a standby's stores over (to become an active task's); waits for a catch-up in progress first. */
  async take(partition: number): Promise<WarmStores | undefined> {
    await this.updating;
    const warm = this.standbys.get(partition);
    this.standbys.delete(partition);
    return warm;
  }

  /** Applies every standby's changelogs up to their current ends; one pass at a time (a call during a pass waits for it and runs another). */
  catchUp(): Promise<void> {
    const pass = (this.updating ?? Promise.resolve()).then(() => this.pass());
    const settled = pass.catch(() => undefined);
    this.updating = settled;
    void settled.then(() => {
      if (this.updating === settled) this.updating = undefined;
    });
    return pass;
  }

  private async pass(): Promise<void> {
    for (const spec of this.topology.stores) {
      if (spec.changelog !== 'own' || !spec.changelogTopic || this.standbys.size === 0) continue;
      const offsets = await this.client.offsets(spec.changelogTopic);
      for (const [partition, warm] of [...this.standbys]) {
        const range = offsets.find((o) => o.partition === partition);
        if (!range || this.standbys.get(partition) !== warm) continue;
        const store = warm.stores.get(spec.name)!;
        let from = warm.positions.get(spec.name) ?? range.start;
        // Retention or compaction removed what we had not read yet: start over from what is there.
        if (from < range.start) {
          store.clear();
          from = range.start;
        }
        // Warnings (unreadable entries) are logged; per-pass progress is not.
        await restoreStore(this.client, store, spec.changelogTopic, partition, from, range.end, warningsOnly(this.log));
        warm.positions.set(spec.name, Math.max(from, range.end));
      }
    }
  }
}

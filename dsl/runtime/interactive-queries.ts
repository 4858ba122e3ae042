// Interactive queries of a running application's stores: by key (the
// instance that runs the key's partition answers; any other names that
// instance's host, see TaskDirectory) and over the tasks this instance hosts.
import type { Windowed } from '../record';
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore, WindowEntry } from '../store';
import type { ResolvedStore, Topology } from '../topology/topology';
import { keyBytes } from './query-codec';
import type { StreamTask } from './stream-task';
import { partitionOfKey, type TaskDirectory } from './task-directory';

/** An interactive query for one key: answered by the instance that hosts the key's partition; the others say which one does. */
export type KeyQueryResult<V> =
  | { readonly hosted: true; readonly partition: number; readonly value: V | undefined }
  | {
      readonly hosted: false;
      readonly partition: number;
      /** The applicationServer of the instance that runs the partition's task; undefined when unknown (none, or it has no applicationServer). */
      readonly host: string | undefined;
      readonly reason: string;
    };

/** The tasks an instance runs now, as queries see them. */
export interface HostedTasks {
  get(partition: number): StreamTask | undefined;
  readonly tasks: Iterable<StreamTask>;
  readonly partitions: readonly number[];
}

/** Which keys a scan wants, by their serialized bytes (Kafka Streams' order): an inclusive range, or a prefix. */
export interface KeyScan {
  readonly from?: Buffer;
  readonly to?: Buffer;
  readonly prefix?: Buffer;
  /** At most this many entries. */
  readonly limit: number;
}

export interface ScannedEntry<K, V> {
  readonly key: K;
  readonly value: V;
  /** The serialized key, which orders the entries. */
  readonly bytes: Buffer;
}

const NO_TASKS: HostedTasks = { get: () => undefined, tasks: [], partitions: [] };

export class InteractiveQueries {
  constructor(
    private readonly topology: Topology,
    private readonly directory: TaskDirectory,
    private readonly hosted: () => HostedTasks | undefined,
    /** The application's number of tasks. */
    private readonly partitions: () => number,
  ) {}

  /**
   * Interactive query of one key in a key-value store. Only the instance that
   * runs the key's partition hosts it; any other answers `hosted: false`
   * with the partition and the host (applicationServer) that runs it, when
   * known. The partition is the default partitioner's (murmur2 of the key
   * serialized with the store's key serde).
   */
  async queryKey<K, V>(storeName: string, key: K): Promise<KeyQueryResult<V>> {
    this.checkStore(storeName, 'key-value');
    const { partition, task } = this.locate(storeName, key, (t) => t.keyValueStore<K, V>(storeName).get(key) !== undefined);
    if (task) return { hosted: true, partition: task.partition, value: task.keyValueStore<K, V>(storeName).get(key) };
    const host = await this.directory.hostOf(partition).catch(() => undefined);
    return { hosted: false, partition, host, reason: this.notHosted(storeName, partition, host) };
  }

  /**
   * Interactive query: a key-value store's current values in the partitions
   * this instance hosts. get() of a key in a partition it does not host
   * throws, saying so (queryKey() answers that as a value, with the host);
   * all() and size cover the hosted partitions only.
   */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    this.checkStore(name, 'key-value');
    const stores = () => [...this.tasks().tasks].map((t) => t.keyValueStore<K, V>(name));
    return {
      name,
      get: (key) =>
        this.hostingTask(name, key, (t) => t.keyValueStore<K, V>(name).get(key) !== undefined)
          .keyValueStore<K, V>(name)
          .get(key),
      all: function* () {
        for (const s of stores()) yield* s.all();
      },
      get size() {
        return stores().reduce((n, s) => n + s.size, 0);
      },
    };
  }

  /** Interactive query: a window store's windows by key and time range, in the partitions this instance hosts (as store()). */
  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    this.checkStore(name, 'window');
    const stores = () => [...this.tasks().tasks].map((t) => t.windowStore<K, V>(name));
    return {
      name,
      get: (key, start) =>
        this.hostingTask(name, key, (t) => t.windowStore<K, V>(name).get(key, start) !== undefined)
          .windowStore<K, V>(name)
          .get(key, start),
      fetch: (key, from, to) =>
        this.hostingTask(name, key, (t) => t.windowStore<K, V>(name).fetch(key, from, to).length > 0)
          .windowStore<K, V>(name)
          .fetch(key, from, to)
          .sort((a: WindowEntry<V>, b: WindowEntry<V>) => a.window.start - b.window.start),
      all: function* (): IterableIterator<[Windowed<K>, V]> {
        for (const s of stores()) yield* s.all();
      },
      get size() {
        return stores().reduce((n, s) => n + s.size, 0);
      },
    };
  }

  get applicationId(): string {
    return this.topology.applicationId;
  }

  /** The application's number of tasks. */
  get taskCount(): number {
    return this.partitions();
  }

  /** The tasks this instance runs now, ascending. */
  get hostedPartitions(): readonly number[] {
    return this.tasks().partitions;
  }

  /** The names of the application's stores. */
  get storeNames(): string[] {
    return this.topology.stores.map((s) => s.name);
  }

  /** The store's spec, or undefined when the application has no such store. */
  spec(name: string): ResolvedStore | undefined {
    return this.topology.store(name);
  }

  /** Whether this instance runs the task of `partition` now (restored: a task is hosted once its stores are). */
  hosts(partition: number): boolean {
    return this.tasks().get(partition) !== undefined;
  }

  /** The partition (task) a key of a store belongs to: the default partitioner's. */
  partitionOf(storeName: string, key: unknown): number {
    return partitionOfKey(this.topology.store(storeName)!, key, this.partitions());
  }

  /**
   * A key-value store's entries in the partitions this instance hosts whose
   * serialized key is in [from, to] or starts with prefix, ordered by those
   * bytes; at most `limit`, `more` saying whether some were left out.
   */
  scan<K, V>(storeName: string, scan: KeyScan): { entries: ScannedEntry<K, V>[]; more: boolean } {
    const spec = this.checkStore(storeName, 'key-value');
    const matches: ScannedEntry<K, V>[] = [];
    for (const task of this.tasks().tasks) {
      for (const [key, value] of task.keyValueStore<K, V>(storeName).all()) {
        const bytes = keyBytes(spec, key);
        if (inScan(bytes, scan)) matches.push({ key, value, bytes });
      }
    }
    matches.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    return { entries: matches.slice(0, scan.limit), more: matches.length > scan.limit };
  }

  private checkStore(name: string, kind: 'key-value' | 'window'): ResolvedStore {
    const spec = this.topology.store(name);
    if (!spec)
      throw new Error(
        `No store "${name}" in application ${this.topology.applicationId} (stores: ${this.topology.stores.map((s) => s.name).join(', ') || 'none'}).`,
      );
    if (spec.kind !== kind) throw new Error(`Store "${name}" is a ${spec.kind} store; query it with ${spec.kind === 'window' ? 'windowStore' : 'store'}().`);
    return spec;
  }

  /**
   * The local task for `key`: its partition's (default partitioner) when this
   * instance runs it, else a local task that `has` the key (a key written to
   * a partition of the producer's choosing); none when neither.
   */
  private locate(storeName: string, key: unknown, has: (task: StreamTask) => boolean): { partition: number; task?: StreamTask } {
    const partition = partitionOfKey(this.topology.store(storeName)!, key, this.partitions());
    const own = this.tasks().get(partition);
    if (own) return { partition, task: own };
    for (const task of this.tasks().tasks) if (has(task)) return { partition, task };
    return { partition };
  }

  private hostingTask(storeName: string, key: unknown, has: (task: StreamTask) => boolean): StreamTask {
    const { partition, task } = this.locate(storeName, key, has);
    if (!task) throw new Error(this.notHosted(storeName, partition, undefined));
    return task;
  }

  private notHosted(storeName: string, partition: number, host: string | undefined): string {
    const where = host ? `the instance at ${host} runs it` : 'ask the instance that owns it';
    return `store "${storeName}": the key is in partition ${partition}, which this instance of ${this.topology.applicationId} does not host (it hosts ${[...this.tasks().partitions].join(', ') || 'none'}); ${where}.`;
  }

  private tasks(): HostedTasks {
    return this.hosted() ?? NO_TASKS;
  }
}

function inScan(bytes: Buffer, scan: KeyScan): boolean {
  if (scan.prefix) return bytes.length >= scan.prefix.length && bytes.subarray(0, scan.prefix.length).equals(scan.prefix);
  if (scan.from && Buffer.compare(bytes, scan.from) < 0) return false;
  return !(scan.to && Buffer.compare(bytes, scan.to) > 0);
}

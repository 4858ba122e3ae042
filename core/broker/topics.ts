// The topics of one broker: create, delete, describe, alter config, add
// partitions. New partitions are opened first and the metadata is written only
// when every one of them is open: a failure on the way (EMFILE, a full disk)
// closes and removes what was opened, so a topic has all its partitions or does
// not exist. A crash in between leaves directories no metadata owns, which are
// removed on open (as are logs of topics deleted before a crash).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Either, left, right } from 'fp-ts/Either';
import { Clock, closeLogsAsync, FileHandleCache, LogConfig, PartitionLog, parseLogConfig } from '../log';
import { BrokerError, ErrorCode } from './errors';
import { MetadataStore, TopicRecord, newId } from './metadata-store';
import { Partition } from './partition';
import { INTERNAL_TOPICS, collisionKey, validateTopicName } from './topic-name';

/** Kafka's limit would be int32; a single embedded node stays far below it. */
export const MAX_PARTITIONS = 10_000;
/** Default max.broker.partitions (KIP-578's name): partitions of all topics together. */
export const DEFAULT_MAX_BROKER_PARTITIONS = 100_000;
/** Default max.partitions.per.request: partitions one CreateTopics or CreatePartitions request may add. */
export const DEFAULT_MAX_PARTITIONS_PER_REQUEST = 10_000;

export interface NewTopic {
  name: string;
  /** Default 1 (Kafka's num.partitions). */
  partitions?: number;
  /** Single node: only 1 (or -1 for the default) is accepted. */
  replicationFactor?: number;
  /** Kafka topic config names, values as strings or numbers. */
  config?: Readonly<Record<string, string | number>>;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: number;
  /** Overrides as set on the topic. */
  configOverrides: Readonly<Record<string, string>>;
  /** Every config with its effective value. */
  config: Readonly<LogConfig>;
}

export interface ConfigAlteration {
  set?: Readonly<Record<string, string | number>>;
  /** Keys to reset to their default. */
  delete?: readonly string[];
}

/** A partition log that a close could not make durable. */
export interface PartitionCloseFailure {
  /** `topic-partition`. */
  readonly partition: string;
  readonly error: Error;
}

interface Topic {
  record: TopicRecord;
  partitions: Partition[];
}

export interface TopicTableOptions {
  clock?: Clock;
  onWarning?: (message: string) => void;
  /** max.broker.partitions: partitions of all topics (internal ones included). Default 100,000. */
  maxBrokerPartitions?: number;
  /** The open-file budget every partition log shares. */
  fileHandles?: FileHandleCache;
  /** Repair damaged partitions on open (PartitionLog's recoverCorruption); default: open them failed. */
  recoverCorruption?: boolean;
}

export class TopicTable {
  private readonly topics = new Map<string, Topic>();
  private total = 0;

  constructor(
    private readonly dir: string,
    private readonly store: MetadataStore,
    private readonly options: TopicTableOptions = {},
  ) {
    for (const record of store.metadata.topics) this.topics.set(record.name, { record, partitions: [] });
    this.removeOrphanLogs();
    for (const topic of this.topics.values()) {
      topic.partitions.push(...this.openPartitions(topic.record, 0, topic.record.partitions, true));
      this.total += topic.partitions.length;
    }
  }

  /** Partitions of all topics. */
  get totalPartitions(): number {
    return this.total;
  }

  get maxBrokerPartitions(): number {
    return this.options.maxBrokerPartitions ?? DEFAULT_MAX_BROKER_PARTITIONS;
  }

  /** A refusal when `adding` more partitions would pass max.broker.partitions. */
  private overBrokerLimit(topic: string, adding: number): BrokerError | undefined {
    if (this.total + adding <= this.maxBrokerPartitions) return undefined;
    return new BrokerError(
      ErrorCode.POLICY_VIOLATION,
      `Topic "${topic}": ${adding} more partition(s) would make ${this.total + adding} on this broker, above max.broker.partitions (${this.maxBrokerPartitions}); delete topics or raise the limit.`,
    );
  }

  // ---------------------------------------------------------------- queries

  names(options: { includeInternal?: boolean } = {}): string[] {
    return [...this.topics.values()]
      .filter((t) => options.includeInternal || !t.record.internal)
      .map((t) => t.record.name)
      .sort();
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  describe(name: string): Either<BrokerError, TopicDescription> {
    const topic = this.topics.get(name);
    if (!topic) return left(unknownTopic(name));
    return right({
      name,
      topicId: topic.record.topicId,
      internal: topic.record.internal,
      partitions: topic.partitions.length,
      configOverrides: { ...topic.record.config },
      config: topic.partitions[0].log.config,
    });
  }

  partition(topic: string, index: number): Either<BrokerError, Partition> {
    const t = this.topics.get(topic);
    const p = t?.partitions[index];
    if (!p) {
      return left(
        new BrokerError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          t ? `Topic "${topic}" has ${t.partitions.length} partition(s); partition ${index} does not exist.` : unknownTopic(topic).message,
        ),
      );
    }
    return right(p);
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.partitions.length;
  }

  allPartitions(): Partition[] {
    const all: Partition[] = [];
    for (const t of this.topics.values()) all.push(...t.partitions);
    return all;
  }

  // ---------------------------------------------------------------- changes

  create(spec: NewTopic, options: { internal?: boolean; validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    const name = validateTopicName(spec.name);
    if (name._tag === 'Left') return name;
    if (INTERNAL_TOPICS.has(spec.name) && !options.internal) {
      return left(new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${spec.name}" is an internal topic; the broker creates it itself.`));
    }
    if (this.topics.has(spec.name)) return left(new BrokerError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic "${spec.name}" already exists.`));
    const clash = [...this.topics.keys()].find((n) => collisionKey(n) === collisionKey(spec.name));
    if (clash) {
      return left(
        new BrokerError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic "${spec.name}" collides with existing topic "${clash}": names that differ only in "." and "_" clash in Kafka's metric names. Choose another name.`,
        ),
      );
    }
    const partitions = spec.partitions === undefined || spec.partitions === -1 ? 1 : spec.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      return left(
        new BrokerError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic "${spec.name}": partition count ${spec.partitions} is invalid; give an integer from 1 to ${MAX_PARTITIONS}.`,
        ),
      );
    }
    const rf = spec.replicationFactor;
    if (rf !== undefined && rf !== 1 && rf !== -1) {
      return left(
        new BrokerError(ErrorCode.INVALID_REPLICATION_FACTOR, `Topic "${spec.name}": replication factor ${rf} is larger than the 1 broker available.`),
      );
    }
    const config = validateConfig(spec.name, spec.config ?? {});
    if (config._tag === 'Left') return config;
    const over = this.overBrokerLimit(spec.name, partitions);
    if (over) return left(over);
    if (options.validateOnly)
      return right(
        this.describeRecord({ name: spec.name, topicId: '', partitions, config: config.right.overrides, internal: !!options.internal }, config.right.full),
      );
    const record: TopicRecord = { name: spec.name, topicId: newId(), partitions, config: config.right.overrides, internal: !!options.internal };
    const opened = this.openAll(record, 0, partitions, () => this.store.update((m) => m.topics.push(record)));
    if (opened._tag === 'Left') return opened;
    this.topics.set(spec.name, { record, partitions: opened.right });
    this.total += partitions;
    return this.describe(spec.name);
  }

  delete(name: string, options: { internal?: boolean } = {}): Either<BrokerError, void> {
    const topic = this.topics.get(name);
    if (!topic) return left(unknownTopic(name));
    if (topic.record.internal && !options.internal) {
      return left(new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic and cannot be deleted.`));
    }
    this.store.update((m) => (m.topics = m.topics.filter((t) => t.name !== name)));
    this.topics.delete(name);
    this.total -= topic.partitions.length;
    for (const p of topic.partitions) p.log.delete();
    return right(undefined);
  }

  alterConfig(name: string, change: ConfigAlteration, options: { validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    const topic = this.topics.get(name);
    if (!topic) return left(unknownTopic(name));
    const overrides: Record<string, string | number> = { ...topic.record.config, ...(change.set ?? {}) };
    for (const key of change.delete ?? []) delete overrides[key];
    const config = validateConfig(name, overrides);
    if (config._tag === 'Left') return config;
    if (options.validateOnly) return right(this.describeRecord({ ...topic.record, config: config.right.overrides }, config.right.full));
    this.store.update((m) => {
      const t = m.topics.find((x) => x.name === name)!;
      t.config = config.right.overrides;
    });
    topic.record = { ...topic.record, config: config.right.overrides };
    // The full config resets deleted keys to their defaults too.
    for (const p of topic.partitions) p.log.updateConfig(config.right.full as unknown as Record<string, unknown>);
    return this.describe(name);
  }

  /** CreatePartitions: grows the topic to `total` partitions (never shrinks, as in Kafka). */
  addPartitions(name: string, total: number, options: { validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    const topic = this.topics.get(name);
    if (!topic) return left(unknownTopic(name));
    const current = topic.partitions.length;
    if (!Number.isInteger(total) || total <= current || total > MAX_PARTITIONS) {
      return left(
        new BrokerError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic "${name}" has ${current} partition(s); the new total must be an integer above ${current} and at most ${MAX_PARTITIONS} (partitions are never removed).`,
        ),
      );
    }
    const over = this.overBrokerLimit(name, total - current);
    if (over) return left(over);
    if (options.validateOnly) return this.describe(name);
    const opened = this.openAll(topic.record, current, total, () => this.store.update((m) => (m.topics.find((t) => t.name === name)!.partitions = total)));
    if (opened._tag === 'Left') return opened;
    topic.record = { ...topic.record, partitions: total };
    topic.partitions.push(...opened.right);
    this.total += total - current;
    return this.describe(name);
  }

  /**
   * Closes every partition log with its fsyncs off the event loop, many at a
   * time (core/log's closeLogsAsync). A log that cannot be made durable gets
   * no clean-shutdown mark (its next open recovers it) and does not stop the
   * others: it is in the answer, named `topic-partition`.
   */
  async closeAsync(): Promise<PartitionCloseFailure[]> {
    const partitions = this.allPartitions();
    const failures = await closeLogsAsync(partitions.map((p) => p.log));
    this.topics.clear();
    return failures.map(({ index, error }) => ({ partition: `${partitions[index].topic}-${partitions[index].index}`, error }));
  }

  // ---------------------------------------------------------------- files

  private logDir(topic: string, partition: number): string {
    return path.join(this.dir, `${topic}-${partition}`);
  }

  /**
   * Opens partitions [from, to) of a new topic or a grown one, then runs
   * `commit` (the metadata write). Any failure closes and removes the
   * partitions it opened: all or none.
   */
  private openAll(record: TopicRecord, from: number, to: number, commit: () => void): Either<BrokerError, Partition[]> {
    const opened: Partition[] = [];
    try {
      this.openPartitions(record, from, to, false, opened);
      commit();
      return right(opened);
    } catch (e) {
      const failed = from + opened.length;
      for (const remove of [
        ...opened.map((p) => () => p.log.delete()),
        () => failed < to && fs.rmSync(this.logDir(record.name, failed), { recursive: true, force: true }),
      ]) {
        try {
          remove();
        } catch {
          // Left for removeOrphanLogs on the next open: no metadata owns it.
        }
      }
      const err = e as NodeJS.ErrnoException;
      const hint =
        err.code === 'EMFILE' || err.code === 'ENFILE'
          ? ' The process is out of file descriptors: lower log.max.open.files or max.connections, or raise its open-file limit.'
          : '';
      this.options.onWarning?.(`creating partitions ${from}-${to - 1} of "${record.name}" failed; removed the ${opened.length} opened: ${err.message}`);
      return left(
        new BrokerError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `Topic "${record.name}": ${failed < to ? `opening partition ${failed}` : 'writing the metadata'} failed (${err.message}); nothing was created.${hint}`,
        ),
      );
    }
  }

  /** Opens partition logs [from, to); each opened one is also pushed to `into` as it opens (for a rollback). */
  private openPartitions(record: TopicRecord, from: number, to: number, existing: boolean, into: Partition[] = []): Partition[] {
    const out = into;
    const start = out.length;
    for (let i = from; i < to; i++) {
      const dir = this.logDir(record.name, i);
      // A new partition starts empty: a directory left by an interrupted creation is not its data.
      if (!existing) fs.rmSync(dir, { recursive: true, force: true });
      const log = PartitionLog.open(dir, record.config, {
        clock: this.options.clock,
        fileHandles: this.options.fileHandles,
        recoverCorruption: this.options.recoverCorruption,
        onWarning: (w) => this.options.onWarning?.(`${record.name}-${i}: ${w.message}`),
      });
      out.push(new Partition(record.name, i, log, this.options.clock));
    }
    return out.slice(start);
  }

  /** Partition directories of topics deleted (or never finished) before a crash. */
  private removeOrphanLogs(): void {
    for (const entry of fs.readdirSync(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const m = /^(.+)-(\d+)$/.exec(entry.name);
      if (!m) continue;
      const topic = this.topics.get(m[1]);
      if (topic && Number(m[2]) < topic.record.partitions) continue;
      this.options.onWarning?.(`removing ${entry.name}: no topic partition in the metadata owns it (a delete interrupted by a crash)`);
      fs.rmSync(path.join(this.dir, entry.name), { recursive: true, force: true });
    }
  }

  private describeRecord(record: TopicRecord, full: LogConfig): TopicDescription {
    return {
      name: record.name,
      topicId: record.topicId,
      internal: record.internal,
      partitions: record.partitions,
      configOverrides: record.config,
      config: full,
    };
  }
}

function unknownTopic(name: string): BrokerError {
  return new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist; create it first (admin.createTopics).`);
}

/** Validates overrides against core/log's rules; returns them as strings (as Kafka stores them) and the full config. */
export function validateConfig(
  topic: string,
  overrides: Readonly<Record<string, string | number>>,
): Either<BrokerError, { overrides: Record<string, string>; full: LogConfig }> {
  const parsed = parseLogConfig(overrides);
  if (parsed._tag === 'Left') return left(new BrokerError(ErrorCode.INVALID_CONFIG, `Topic "${topic}": ${parsed.left.message}`));
  const asStrings: Record<string, string> = {};
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) asStrings[k] = String(v);
  return right({ overrides: asStrings, full: parsed.right });
}

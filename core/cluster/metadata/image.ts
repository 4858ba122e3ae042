// The metadata image (KRaft's MetadataImage): the cluster state that results
// from applying the committed metadata records in order. Applying is
// deterministic and has no I/O, so every controller and every broker following
// the log computes the same image. A record whose epoch shows it was decided on
// stale state is skipped, the same way on every replica.
import * as E from 'fp-ts/Either';
import { decodeMetadataBatch, encodeMetadataBatch } from './codec';
import type { AclEntry, BrokerListener, MetadataRecord, PartitionRecord, TaskOwnership, UserScramCredentialRecord } from './records';

/** A user's SCRAM credential for one mechanism, as the image holds it. */
export type ScramCredentialEntry = Omit<UserScramCredentialRecord, 'type' | 'name'>;

export interface BrokerRegistration {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly rack: string | null;
  readonly host: string;
  readonly port: number;
  /** Its Kafka listeners by name (RegisterBrokerRecord.listeners). */
  readonly listeners?: readonly BrokerListener[];
  readonly fenced: boolean;
}

/** A controller added to the quorum after it was founded (RegisterControllerRecord). */
export interface ControllerRegistration {
  readonly controllerId: number;
  readonly host: string;
  /** Controller RPC port; Raft is on port + 1. */
  readonly port: number;
}

export interface PartitionRegistration {
  readonly topicId: number;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: number;
  readonly config: Readonly<Record<string, string>>;
  readonly partitions: ReadonlyMap<number, PartitionRegistration>;
}

export interface WorkerRegistration {
  readonly app: string;
  readonly workerId: string;
  readonly workerEpoch: number;
  readonly inputTopics: readonly string[];
  readonly numStandbyReplicas: number;
}

export interface AppImage {
  readonly app: string;
  /** Generation of the current task assignment (0: none yet). */
  readonly generation: number;
  readonly workers: ReadonlyMap<string, WorkerRegistration>;
  readonly tasks: ReadonlyMap<string, TaskOwnership>;
}

export type ApplyOutcome = { readonly applied: true } | { readonly applied: false; readonly reason: string };

const APPLIED: ApplyOutcome = { applied: true };
const skipped = (reason: string): ApplyOutcome => ({ applied: false, reason });

interface MutableTopic {
  name: string;
  topicId: number;
  config: Record<string, string>;
  partitions: Map<number, PartitionRegistration>;
}

interface MutableApp {
  app: string;
  generation: number;
  workers: Map<string, WorkerRegistration>;
  tasks: Map<string, TaskOwnership>;
}

export class MetadataImage {
  private readonly _controllers = new Map<number, ControllerRegistration>();
  private readonly _brokers = new Map<number, BrokerRegistration>();
  private readonly _topics = new Map<number, MutableTopic>();
  private readonly topicIds = new Map<string, number>();
  private readonly _apps = new Map<string, MutableApp>();
  /** Replicas each broker hosts, all topics together (max.broker.partitions is checked against it at every placement). */
  private readonly replicaCounts = new Map<number, number>();
  /** SCRAM credentials by user, then by mechanism type. */
  private readonly _scram = new Map<string, Map<number, ScramCredentialEntry>>();
  private _lastBrokerEpoch = 0;
  private _lastTopicId = 0;
  private _lastWorkerEpoch = 0;
  /** The ACLs, by a key of all their fields (an ACL is its fields: created twice, kept once). */
  private readonly _acls = new Map<string, AclEntry>();
  private _aclsVersion = 0;
  private _version = 0;

  /** Controllers added to the quorum after it was founded, with their addresses. */
  get controllers(): ReadonlyMap<number, ControllerRegistration> {
    return this._controllers;
  }
  get brokers(): ReadonlyMap<number, BrokerRegistration> {
    return this._brokers;
  }
  get topics(): ReadonlyMap<number, TopicImage> {
    return this._topics;
  }
  get apps(): ReadonlyMap<string, AppImage> {
    return this._apps;
  }
  /** Users' SCRAM credentials, by user and mechanism type. */
  get scramCredentials(): ReadonlyMap<string, ReadonlyMap<number, ScramCredentialEntry>> {
    return this._scram;
  }
  get lastBrokerEpoch(): number {
    return this._lastBrokerEpoch;
  }
  get lastTopicId(): number {
    return this._lastTopicId;
  }
  get lastWorkerEpoch(): number {
    return this._lastWorkerEpoch;
  }

  /** Every ACL (the authorizer of each broker is built from these). */
  get acls(): Iterable<AclEntry> {
    return this._acls.values();
  }
  /** Bumped on every ACL change: a broker's authorizer rebuilds when it moves. */
  get aclsVersion(): number {
    return this._aclsVersion;
  }

  /**
   * Bumped by every applied record (a skipped one changes nothing). What is
   * derived from the image, such as a broker's Metadata answer, holds while
   * the image object and this number are the same: the image is changed in
   * place, one record at a time, never rebuilt.
   */
  get version(): number {
    return this._version;
  }

  hasAcl(e: AclEntry): boolean {
    return this._acls.has(aclKey(e));
  }

  topicByName(name: string): TopicImage | undefined {
    const id = this.topicIds.get(name);
    return id === undefined ? undefined : this._topics.get(id);
  }

  /** How many partition replicas are placed on `brokerId`, all topics together. */
  hostedReplicas(brokerId: number): number {
    return this.replicaCounts.get(brokerId) ?? 0;
  }

  private countReplicas(replicas: readonly number[], delta: 1 | -1): void {
    for (const b of replicas) {
      const n = (this.replicaCounts.get(b) ?? 0) + delta;
      if (n === 0) this.replicaCounts.delete(b);
      else this.replicaCounts.set(b, n);
    }
  }

  partition(topicId: number, partition: number): PartitionRegistration | undefined {
    return this._topics.get(topicId)?.partitions.get(partition);
  }

  /** Unfenced brokers, by id. */
  liveBrokers(): BrokerRegistration[] {
    return [...this._brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.brokerId - b.brokerId);
  }

  isUnfenced(brokerId: number): boolean {
    const b = this._brokers.get(brokerId);
    return b !== undefined && !b.fenced;
  }

  apply(record: MetadataRecord): ApplyOutcome {
    const outcome = this.applyRecord(record);
    if (outcome.applied) this._version++;
    return outcome;
  }

  private applyRecord(record: MetadataRecord): ApplyOutcome {
    switch (record.type) {
      case 'RegisterController': {
        const { type: _, ...fields } = record;
        this._controllers.set(record.controllerId, fields);
        return APPLIED;
      }
      case 'UnregisterController':
        if (!this._controllers.delete(record.controllerId)) return skipped(`controller ${record.controllerId} is not registered`);
        return APPLIED;
      case 'RegisterBroker': {
        const old = this._brokers.get(record.brokerId);
        if (old !== undefined && old.brokerEpoch >= record.brokerEpoch)
          return skipped(`broker ${record.brokerId} already registered with epoch ${old.brokerEpoch}`);
        const { type: _, ...fields } = record;
        this._brokers.set(record.brokerId, { ...fields, fenced: true });
        this._lastBrokerEpoch = Math.max(this._lastBrokerEpoch, record.brokerEpoch);
        return APPLIED;
      }
      case 'FenceBroker':
      case 'UnfenceBroker':
      case 'UnregisterBroker': {
        const old = this._brokers.get(record.brokerId);
        if (old?.brokerEpoch !== record.brokerEpoch) return skipped(`broker ${record.brokerId} epoch ${record.brokerEpoch} is not the registered one`);
        if (record.type === 'UnregisterBroker') this._brokers.delete(record.brokerId);
        else this._brokers.set(record.brokerId, { ...old, fenced: record.type === 'FenceBroker' });
        return APPLIED;
      }
      case 'Topic': {
        if (this.topicIds.has(record.name) || this._topics.has(record.topicId)) return skipped(`topic ${record.name} (id ${record.topicId}) exists`);
        this._topics.set(record.topicId, { name: record.name, topicId: record.topicId, config: { ...record.config }, partitions: new Map() });
        this.topicIds.set(record.name, record.topicId);
        this._lastTopicId = Math.max(this._lastTopicId, record.topicId);
        return APPLIED;
      }
      case 'Partition': {
        const topic = this._topics.get(record.topicId);
        if (topic === undefined) return skipped(`no topic with id ${record.topicId}`);
        const { type: _, ...fields } = record;
        const replaced = topic.partitions.get(record.partition);
        if (replaced !== undefined) this.countReplicas(replaced.replicas, -1);
        topic.partitions.set(record.partition, fields);
        this.countReplicas(fields.replicas, 1);
        return APPLIED;
      }
      case 'PartitionChange': {
        const topic = this._topics.get(record.topicId);
        const old = topic?.partitions.get(record.partition);
        if (topic === undefined || old === undefined) return skipped(`no partition ${record.topicId}/${record.partition}`);
        if (old.partitionEpoch !== record.partitionEpoch) {
          return skipped(
            `partition ${topic.name}-${record.partition} is at partition epoch ${old.partitionEpoch}, the change was decided at ${record.partitionEpoch}`,
          );
        }
        const leaderChanged = record.leader !== undefined && record.leader !== old.leader;
        topic.partitions.set(record.partition, {
          ...old,
          leader: record.leader ?? old.leader,
          isr: record.isr ?? old.isr,
          leaderEpoch: leaderChanged ? old.leaderEpoch + 1 : old.leaderEpoch,
          partitionEpoch: old.partitionEpoch + 1,
        });
        return APPLIED;
      }
      case 'TopicConfig': {
        const topic = this._topics.get(record.topicId);
        if (topic === undefined) return skipped(`no topic with id ${record.topicId}`);
        // A snapshot carries the config in the topic's own record.
        topic.config = { ...record.config };
        return APPLIED;
      }
      case 'RemoveTopic': {
        const topic = this._topics.get(record.topicId);
        if (topic === undefined) return skipped(`no topic with id ${record.topicId}`);
        for (const p of topic.partitions.values()) this.countReplicas(p.replicas, -1);
        this._topics.delete(record.topicId);
        this.topicIds.delete(topic.name);
        return APPLIED;
      }
      case 'RegisterWorker': {
        const app = this.appFor(record.app);
        const old = app.workers.get(record.workerId);
        if (old !== undefined && old.workerEpoch >= record.workerEpoch)
          return skipped(`worker ${record.workerId} already registered with epoch ${old.workerEpoch}`);
        const { type: _, ...fields } = record;
        app.workers.set(record.workerId, fields);
        this._lastWorkerEpoch = Math.max(this._lastWorkerEpoch, record.workerEpoch);
        return APPLIED;
      }
      case 'UnregisterWorker': {
        const app = this._apps.get(record.app);
        if (app?.workers.get(record.workerId)?.workerEpoch !== record.workerEpoch)
          return skipped(`worker ${record.workerId} epoch ${record.workerEpoch} is not the registered one`);
        app.workers.delete(record.workerId);
        return APPLIED;
      }
      case 'TaskAssignment': {
        const app = this.appFor(record.app);
        if (record.generation <= app.generation) return skipped(`app ${record.app} is at generation ${app.generation}, not before ${record.generation}`);
        app.generation = record.generation;
        app.tasks = new Map(record.tasks.map((t) => [t.task, t]));
        return APPLIED;
      }
      case 'UserScramCredential': {
        const { type: _, name, ...entry } = record;
        let held = this._scram.get(name);
        if (held === undefined) this._scram.set(name, (held = new Map()));
        held.set(record.mechanism, entry);
        return APPLIED;
      }
      case 'RemoveUserScramCredential': {
        const held = this._scram.get(record.name);
        if (held?.delete(record.mechanism) !== true) return skipped(`user ${record.name} has no credential of mechanism ${record.mechanism}`);
        if (held.size === 0) this._scram.delete(record.name);
        return APPLIED;
      }
      case 'EpochCounters':
        this._lastBrokerEpoch = Math.max(this._lastBrokerEpoch, record.lastBrokerEpoch);
        this._lastTopicId = Math.max(this._lastTopicId, record.lastTopicId);
        this._lastWorkerEpoch = Math.max(this._lastWorkerEpoch, record.lastWorkerEpoch);
        return APPLIED;
      case 'AccessControlEntry':
      case 'RemoveAccessControlEntry': {
        const { type, ...entry } = record;
        const key = aclKey(entry);
        if (type === 'AccessControlEntry' ? this._acls.has(key) : !this._acls.has(key))
          return skipped(`ACL ${key} is ${type === 'AccessControlEntry' ? 'already there' : 'not there'}`);
        if (type === 'AccessControlEntry') this._acls.set(key, entry);
        else this._acls.delete(key);
        this._aclsVersion++;
        return APPLIED;
      }
    }
  }

  applyAll(records: readonly MetadataRecord[]): ApplyOutcome[] {
    return records.map((r) => this.apply(r));
  }

  private appFor(name: string): MutableApp {
    let app = this._apps.get(name);
    if (app === undefined) {
      app = { app: name, generation: 0, workers: new Map(), tasks: new Map() };
      this._apps.set(name, app);
    }
    return app;
  }

  /**
   * The image as the records that rebuild it, in a canonical order (KRaft
   * snapshots are records too): equal images give equal bytes.
   */
  toRecords(): MetadataRecord[] {
    const records: MetadataRecord[] = [
      { type: 'EpochCounters', lastBrokerEpoch: this._lastBrokerEpoch, lastTopicId: this._lastTopicId, lastWorkerEpoch: this._lastWorkerEpoch },
    ];
    for (const c of sortedValues(this._controllers, (a, b) => a.controllerId - b.controllerId)) records.push({ type: 'RegisterController', ...c });
    for (const b of sortedValues(this._brokers, (a, c) => a.brokerId - c.brokerId)) {
      records.push({
        type: 'RegisterBroker',
        brokerId: b.brokerId,
        brokerEpoch: b.brokerEpoch,
        rack: b.rack,
        host: b.host,
        port: b.port,
        listeners: b.listeners,
      });
      if (!b.fenced) records.push({ type: 'UnfenceBroker', brokerId: b.brokerId, brokerEpoch: b.brokerEpoch });
    }
    for (const t of sortedValues(this._topics, (a, c) => a.topicId - c.topicId)) {
      records.push({ type: 'Topic', name: t.name, topicId: t.topicId, config: t.config });
      for (const p of sortedValues(t.partitions, (a, c) => a.partition - c.partition)) records.push(partitionRecord(p));
    }
    for (const app of sortedValues(this._apps, (a, c) => compare(a.app, c.app))) {
      for (const w of sortedValues(app.workers, (a, c) => compare(a.workerId, c.workerId))) {
        records.push({
          type: 'RegisterWorker',
          app: w.app,
          workerId: w.workerId,
          workerEpoch: w.workerEpoch,
          inputTopics: w.inputTopics,
          numStandbyReplicas: w.numStandbyReplicas,
        });
      }
      if (app.generation > 0) {
        const tasks = sortedValues(app.tasks, (a, c) => compare(a.task, c.task));
        records.push({ type: 'TaskAssignment', app: app.app, generation: app.generation, tasks });
      }
    }
    for (const key of [...this._acls.keys()].sort(compare)) records.push({ type: 'AccessControlEntry', ...this._acls.get(key)! });
    for (const name of [...this._scram.keys()].sort(compare))
      for (const entry of sortedValues(this._scram.get(name)!, (a, c) => a.mechanism - c.mechanism))
        records.push({ type: 'UserScramCredential', name, ...entry });
    return records;
  }

  /** Snapshot bytes: the canonical records as one batch. */
  encode(): Buffer {
    return encodeMetadataBatch(this.toRecords());
  }

  static fromRecords(records: readonly MetadataRecord[]): MetadataImage {
    const image = new MetadataImage();
    image.applyAll(records);
    return image;
  }

  static decode(snapshot: Buffer): E.Either<string, MetadataImage> {
    if (snapshot.length === 0) return E.right(new MetadataImage());
    return E.map(MetadataImage.fromRecords)(decodeMetadataBatch(snapshot));
  }

  /**
   * An independent copy (the active controller's speculative image, and every
   * decision that looks at the image after its own first records). Entries
   * (registrations, partitions, configs) are replaced on change, never
   * mutated, so the copy shares them and copies only the maps that hold them:
   * at 100,000 partitions that is a few milliseconds, where rebuilding from
   * records took hundreds. Every field of the image must be copied here.
   */
  clone(): MetadataImage {
    const copy = new MetadataImage();
    for (const [id, c] of this._controllers) copy._controllers.set(id, c);
    for (const [id, b] of this._brokers) copy._brokers.set(id, b);
    for (const [id, t] of this._topics) copy._topics.set(id, { ...t, partitions: new Map(t.partitions) });
    for (const [name, id] of this.topicIds) copy.topicIds.set(name, id);
    for (const [name, a] of this._apps) copy._apps.set(name, { ...a, workers: new Map(a.workers) });
    for (const [b, n] of this.replicaCounts) copy.replicaCounts.set(b, n);
    copy._lastBrokerEpoch = this._lastBrokerEpoch;
    copy._lastTopicId = this._lastTopicId;
    copy._lastWorkerEpoch = this._lastWorkerEpoch;
    for (const [key, acl] of this._acls) copy._acls.set(key, acl);
    copy._aclsVersion = this._aclsVersion;
    copy._version = this._version;
    // Each user's credentials are a map changed in place: copied per user.
    for (const [name, held] of this._scram) copy._scram.set(name, new Map(held));
    return copy;
  }
}

export function partitionRecord(p: PartitionRegistration): PartitionRecord {
  return { type: 'Partition', ...p };
}

function sortedValues<V>(map: ReadonlyMap<unknown, V>, by: (a: V, b: V) => number): V[] {
  return [...map.values()].sort(by);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One string per distinct ACL. */
export function aclKey(e: AclEntry): string {
  return JSON.stringify([e.resourceType, e.patternType, e.resourceName, e.principal, e.host, e.operation, e.permission]);
}

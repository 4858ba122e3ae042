// The metadata log's records (KRaft's __cluster_metadata, KIP-631): every
// decision of the controller is one of these, committed through Raft before
// anyone acts on it. Epochs travel with the records so a stale broker, leader
// or worker is fenced by comparison, never by timing alone.

/** No leader (Kafka's -1). */
export const NO_LEADER = -1;

/** A broker incarnation joined; it starts fenced until it has caught up with the metadata log. */
export interface RegisterBrokerRecord {
  readonly type: 'RegisterBroker';
  readonly brokerId: number;
  /** Unique per registration: a restarted broker gets a new one, and the old one is fenced. */
  readonly brokerEpoch: number;
  readonly rack: string | null;
  /** Its first Kafka listener (the one other brokers and tools use); replication is on port + 1. */
  readonly host: string;
  readonly port: number;
  /** Every Kafka listener, by name, as clients are told to reach it (absent or empty: only host:port, unnamed). */
  readonly listeners?: readonly BrokerListener[];
}

/** A named Kafka listener of a broker: Metadata answers a client with every broker's address on the listener it came in on. */
export interface BrokerListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** The broker's session expired (or it asked to be fenced): it leads nothing and is in no ISR. */
export interface FenceBrokerRecord {
  readonly type: 'FenceBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** The broker heartbeats and has caught up: it may lead and join ISRs again. */
export interface UnfenceBrokerRecord {
  readonly type: 'UnfenceBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

export interface UnregisterBrokerRecord {
  readonly type: 'UnregisterBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** A topic and its configuration (Kafka names: min.insync.replicas, unclean.leader.election.enable, ...). */
export interface TopicRecord {
  readonly type: 'Topic';
  readonly name: string;
  readonly topicId: number;
  readonly config: Readonly<Record<string, string>>;
}

/** A partition's full state, written when it is created (and in snapshots). */
export interface PartitionRecord {
  readonly type: 'Partition';
  readonly topicId: number;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

/**
 * A change to one partition, decided on the state at `partitionEpoch`. Applying
 * it bumps the partition epoch; a new leader also bumps the leader epoch. A
 * change decided on a stale partition epoch is skipped on apply (on every
 * replica alike), so two racing decisions can never both take effect.
 */
export interface PartitionChangeRecord {
  readonly type: 'PartitionChange';
  readonly topicId: number;
  readonly partition: number;
  readonly partitionEpoch: number;
  /** undefined: leader unchanged. */
  readonly leader?: number;
  /** undefined: ISR unchanged. */
  readonly isr?: readonly number[];
}

/** AlterConfigs: the topic's config overrides become `config` (keys not in it go back to their defaults). */
export interface TopicConfigRecord {
  readonly type: 'TopicConfig';
  readonly topicId: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface RemoveTopicRecord {
  readonly type: 'RemoveTopic';
  readonly topicId: number;
}

/** A worker process of application `app` joined, reading `inputTopics`. */
export interface RegisterWorkerRecord {
  readonly type: 'RegisterWorker';
  readonly app: string;
  readonly workerId: string;
  readonly workerEpoch: number;
  readonly inputTopics: readonly string[];
  /** The application's num.standby.replicas: warm copies of each task's state on other workers. */
  readonly numStandbyReplicas: number;
}

/** The worker left or its heartbeats stopped: its tasks must move. */
export interface UnregisterWorkerRecord {
  readonly type: 'UnregisterWorker';
  readonly app: string;
  readonly workerId: string;
  readonly workerEpoch: number;
}

/** Who runs one task (an input partition) and who keeps warm standby copies of its state. */
export interface TaskOwnership {
  readonly task: string;
  readonly owner: string;
  /** Bumped whenever the owner changes: the fencing token for the task's writes. */
  readonly taskEpoch: number;
  readonly standbys: readonly string[];
}

/** The whole assignment of an application, decided on generation `generation - 1`. */
export interface TaskAssignmentRecord {
  readonly type: 'TaskAssignment';
  readonly app: string;
  readonly generation: number;
  readonly tasks: readonly TaskOwnership[];
}

/**
 * The highest epochs and ids handed out so far. Records carry their epochs, but
 * a snapshot of a cluster whose broker has unregistered would otherwise forget
 * the epochs it used; this keeps them from ever being reused.
 */
export interface EpochCountersRecord {
  readonly type: 'EpochCounters';
  readonly lastBrokerEpoch: number;
  readonly lastTopicId: number;
  readonly lastWorkerEpoch: number;
}

/**
 * A controller added to the quorum (KRaft's RegisterControllerRecord): where
 * the others, restarted ones included, reach it. Founding controllers are
 * known from --controllers and need none. Its Raft membership is core/raft's
 * own configuration entries; this record only carries the address.
 */
export interface RegisterControllerRecord {
  readonly type: 'RegisterController';
  readonly controllerId: number;
  readonly host: string;
  /** Its controller RPC port; Raft is on port + 1. */
  readonly port: number;
}

/** A controller removed from the quorum: its address is forgotten. */
export interface UnregisterControllerRecord {
  readonly type: 'UnregisterController';
  readonly controllerId: number;
}

/**
 * One ACL, in Kafka's codes (core/protocol/auth names them): the AccessControlEntryRecord's fields.
 * The same shape as core/protocol's AclBinding, which this module may not import (metadata sits below the front end).
 */
export interface AclEntry {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permission: number;
}

/** An ACL created (CreateAcls); the same ACL twice is kept once. */
export interface AccessControlEntryRecord extends AclEntry {
  readonly type: 'AccessControlEntry';
}

/** An ACL deleted (DeleteAcls). */
export interface RemoveAccessControlEntryRecord extends AclEntry {
  readonly type: 'RemoveAccessControlEntry';
}

/**
 * A user's SCRAM credential (Kafka's UserScramCredentialRecord, KIP-554):
 * mechanism 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512; salted keys, never a password.
 * Adds or replaces the user's credential for the mechanism.
 */
export interface UserScramCredentialRecord {
  readonly type: 'UserScramCredential';
  readonly name: string;
  readonly mechanism: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

/** The user's credential for the mechanism is gone (Kafka's RemoveUserScramCredentialRecord). */
export interface RemoveUserScramCredentialRecord {
  readonly type: 'RemoveUserScramCredential';
  readonly name: string;
  readonly mechanism: number;
}

export type MetadataRecord =
  | RegisterControllerRecord
  | UnregisterControllerRecord
  | RegisterBrokerRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | UnregisterBrokerRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | TopicConfigRecord
  | RemoveTopicRecord
  | RegisterWorkerRecord
  | UnregisterWorkerRecord
  | TaskAssignmentRecord
  | EpochCountersRecord
  | AccessControlEntryRecord
  | RemoveAccessControlEntryRecord
  | UserScramCredentialRecord
  | RemoveUserScramCredentialRecord;

export type MetadataRecordType = MetadataRecord['type'];

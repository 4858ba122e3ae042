// The console's JSON API: what the server answers at /api/... and the browser
// draws. Types only, so the browser bundle imports them without pulling in Node code.

export interface ConsoleInfo {
  readonly bootstrap: string;
  /** The schema registry's URL, when one was given. */
  readonly registry: string | null;
  /** Whether the console knows the cluster's controllers (a Rill cluster): the quorum on the Cluster page. */
  readonly controllers: boolean;
  /** Whether there is a Stream apps page: the controllers' workers, or topologies given to the console. */
  readonly apps: boolean;
  /** How often the pages refresh, in milliseconds (the live stream's server polls, or the page itself). */
  readonly refreshMs: number;
  /** The worker serving this console (`rill worker --console-port`): its id; null on a broker's or `rill console`'s. */
  readonly worker: string | null;
}

export interface BrokerView {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  readonly controller: boolean;
  /** Partitions this broker leads. */
  readonly leaderOf: number;
}

export interface PartitionView {
  readonly topic: string;
  readonly partition: number;
  /** -1: no leader (offline). */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
  readonly underReplicated: boolean;
}

export interface ClusterView {
  readonly clusterId: string | null;
  /** -1 when the protocol does not say (Metadata v0). */
  readonly controllerId: number;
  readonly brokers: readonly BrokerView[];
  readonly partitions: readonly PartitionView[];
  readonly underReplicated: number;
  readonly offline: number;
}

export interface TopicSummary {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Records in the log now: the sum over partitions of end offset minus start offset. */
  readonly records: number;
  readonly underReplicated: number;
}

export interface TopicPartitionView extends PartitionView {
  readonly startOffset: number;
  readonly endOffset: number;
}

export interface ConfigView {
  readonly name: string;
  readonly value: string | null;
  /** Set on this topic, rather than a default. */
  readonly override: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

export interface TopicView {
  readonly name: string;
  readonly internal: boolean;
  readonly records: number;
  readonly partitions: readonly TopicPartitionView[];
  readonly configs: readonly ConfigView[];
}

/** How a key or value is shown: Avro decoded through the registry, JSON, UTF-8 text, or hex when it is none of these. */
export type ValueView = 'avro' | 'json' | 'string' | 'hex';

export interface RenderedBytes {
  readonly view: ValueView;
  /** null: the record has no key or value (a tombstone). */
  readonly text: string | null;
  /** The registry's schema id of an Avro value. */
  readonly schemaId?: number;
}

export interface MessageView {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: RenderedBytes;
  readonly value: RenderedBytes;
}

export interface MessagesView {
  readonly topic: string;
  readonly partition: number;
  /** Where reading started (the seek's answer). */
  readonly from: number;
  readonly startOffset: number;
  readonly endOffset: number;
  readonly messages: readonly MessageView[];
}

export interface GroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
}

export interface GroupMemberView {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly { readonly topic: string; readonly partition: number }[];
}

export interface GroupOffsetView {
  readonly topic: string;
  readonly partition: number;
  /** -1: nothing committed. */
  readonly committed: number;
  readonly endOffset: number;
  /** End offset minus committed offset; null when nothing is committed. */
  readonly lag: number | null;
  /** The member the partition is assigned to, if any. */
  readonly memberId: string | null;
}

export interface GroupView {
  readonly groupId: string;
  readonly state: string;
  readonly protocol: string;
  readonly members: readonly GroupMemberView[];
  readonly offsets: readonly GroupOffsetView[];
  readonly totalLag: number;
}

export interface SubjectView {
  readonly subject: string;
  readonly versions: readonly number[];
  readonly latest: { readonly version: number; readonly id: number; readonly schemaType: string; readonly schema: string };
  /** The subject's own compatibility level, or null when it follows the global one. */
  readonly compatibility: string | null;
}

export interface SchemasView {
  readonly compatibility: string;
  readonly subjects: readonly SubjectView[];
}

/** Every error answer: a sentence, and the Kafka error code when a broker refused. */
export interface ErrorView {
  readonly error: string;
  readonly code?: number;
}

/** A controller of a Rill cluster (from its controllers, when the console was given them). */
export interface ControllerView {
  readonly id: number;
  readonly address: string;
  /** leader, follower, candidate, ...; unreachable when it did not answer. */
  readonly role: string;
  readonly active: boolean;
  readonly term: number | null;
  readonly commitIndex: number | null;
  /** Metadata log entries behind the leader, as the leader sees it; null when the leader did not say. */
  readonly lag: number | null;
  readonly error: string | null;
}

export interface QuorumView {
  /** The active controller's id (0: none). */
  readonly leader: number;
  readonly term: number;
  readonly controllers: readonly ControllerView[];
  readonly warnings: readonly string[];
}

/** A pipeline's topology as the console was given it (`rill console --pipeline FILE`). */
export interface TopologyView {
  readonly app: string;
  /** describe(): sub-topologies, sources, processors, stores, sinks. */
  readonly text: string;
  /** toMermaid(): a flowchart any Mermaid renderer draws. */
  readonly mermaid: string;
  /** toSvg(): the same graph drawn, self-contained (no script, font or style from outside), its text XML-escaped. */
  readonly svg: string;
}

/** A stream application: the workers that run it on a Rill cluster (when the controllers are known) and its topology (when given). */
export interface AppView {
  readonly app: string;
  /** -1: no worker runs it (only its topology is known). */
  readonly generation: number;
  readonly workers: readonly {
    readonly workerId: string;
    readonly workerEpoch: number;
    readonly tasks: readonly string[];
    readonly standbys: readonly string[];
    /** What the worker itself last said it runs (its console, or the app's worker-status topic); null when it said nothing yet. */
    readonly status: WorkerStatusView | null;
  }[];
  readonly tasks: readonly { readonly task: string; readonly owner: string; readonly taskEpoch: number; readonly standbys: readonly string[] }[];
  readonly topology: TopologyView | null;
}

/**
 * A worker's own status (`rill worker`): GET /api/worker on its console, and
 * the value of its key in the application's `<app>-worker-status` topic. The
 * same shape as the DSL's RillStreams.status() (the worker command checks
 * that it fits), with who and when.
 */
export interface WorkerStatusView {
  readonly workerId: string;
  /** The worker's epoch in the controllers' membership (0: not joined yet). */
  readonly workerEpoch: number;
  /** When the status was taken (epoch ms). */
  readonly at: number;
  /** The worker's console URL, when it serves one. */
  readonly console: string | null;
  readonly app: string;
  /** The application instance's state: restoring, running, stopping, ... */
  readonly state: string;
  readonly taskCount: number;
  readonly tasks: readonly TaskStatusView[];
  readonly standbys: readonly StandbyStatusView[];
}

export interface TaskStatusView {
  readonly task: number;
  readonly state: 'restoring' | 'running';
  /** Per store with a changelog: records restored of at most `total`, and whether its restore is done. */
  readonly restores: readonly {
    readonly store: string;
    readonly topic: string;
    readonly partition: number;
    readonly restored: number;
    readonly total: number;
    readonly done: boolean;
  }[];
  /** Per input partition: the next offset the task processes (null while restoring), the end offset, and the lag between. */
  readonly inputs: readonly ({ readonly topic: string; readonly partition: number } & PositionView)[];
}

export interface StandbyStatusView {
  readonly task: number;
  /** Per store kept warm: the next changelog offset it applies (null before its first catch-up), the changelog's end, and the lag between. */
  readonly stores: readonly ({ readonly store: string; readonly topic: string } & PositionView)[];
}

/** Where a reader of a partition is: the next offset it takes (null: not yet), the partition's end offset, and the records between. */
export interface PositionView {
  readonly position: number | null;
  readonly endOffset: number;
  readonly lag: number | null;
}

/** One event of the live stream (GET /api/live?path=...): a path's latest answer, or why it failed. */
export interface LiveEvent {
  readonly path: string;
  readonly body?: unknown;
  readonly error?: ErrorView;
}

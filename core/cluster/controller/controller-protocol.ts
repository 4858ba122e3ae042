// The controller RPC's methods and their answers (the bodies of core/cluster's
// internal RPC, see rpc.ts). Every answer carries a Kafka error code and, when
// it is NOT_CONTROLLER, the id of the controller this node believes is active.
import type { ReplicationStatus } from '../../raft';
import type { MetadataEntry } from './metadata-journal';

export const ControllerMethod = {
  registerBroker: 'registerBroker',
  brokerHeartbeat: 'brokerHeartbeat',
  alterPartition: 'alterPartition',
  createTopic: 'createTopic',
  deleteTopic: 'deleteTopic',
  createPartitions: 'createPartitions',
  alterTopicConfig: 'alterTopicConfig',
  /** CreateAcls and DeleteAcls: the exact ACLs to add and remove (body: acl-admin.ts). */
  alterAcls: 'alterAcls',
  /** AlterUserScramCredentials (body: scram-credentials.ts). */
  alterScramCredentials: 'alterScramCredentials',
  fetchMetadata: 'fetchMetadata',
  describeQuorum: 'describeQuorum',
  /** Membership of the controller quorum, through the active controller (bodies and answers: controller-membership.ts). */
  addController: 'addController',
  removeController: 'removeController',
  /** Workers of a DSL application: join (epoch 0), heartbeat, or leave (body and answer: worker-protocol.ts). */
  workerHeartbeat: 'workerHeartbeat',
} as const;

/** describeQuorum: one controller's own view of the metadata Raft (any controller answers, leader or not). */
export interface DescribeQuorumAnswer {
  readonly nodeId: number;
  readonly role: string;
  readonly term: number;
  /** The Raft leader as this controller knows it (0: none known). */
  readonly leader: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  /** This node holds the active QuorumController (leader, and caught up with its term). */
  readonly active: boolean;
  /**
   * Only from the Raft leader: how far each voter and learner (itself
   * included) has replicated the metadata log, as the leader sees it —
   * match index, lag behind the leader's last index, time since its last ack
   * and since it was last caught up (Kafka's DescribeQuorum replica states).
   */
  readonly replication?: readonly ReplicationStatus[];
}

export interface ControllerAnswer<R = unknown> {
  readonly errorCode: number;
  readonly message?: string;
  /** The Raft leader as this controller knows it (0: none known). */
  readonly leaderHint: number;
  readonly response?: R;
}

export interface FetchMetadataRequest {
  readonly fromIndex: number;
}

/** The JSON half of a metadata feed; the entries' bytes (snapshot first) are the blob. */
export interface FetchMetadataAnswer {
  readonly snapshot?: { readonly index: number; readonly length: number };
  readonly entries: readonly { readonly index: number; readonly length: number }[];
}

export function encodeFeed(feed: { snapshot?: { index: number; data: Buffer }; entries: readonly MetadataEntry[] }): {
  body: FetchMetadataAnswer;
  blob: Buffer;
} {
  const parts: Buffer[] = [];
  if (feed.snapshot) parts.push(feed.snapshot.data);
  for (const e of feed.entries) parts.push(e.data);
  return {
    body: {
      snapshot: feed.snapshot && { index: feed.snapshot.index, length: feed.snapshot.data.length },
      entries: feed.entries.map((e) => ({ index: e.index, length: e.data.length })),
    },
    blob: Buffer.concat(parts),
  };
}

/** The feed back from its two halves; an error when the lengths do not add up. */
export function decodeFeed(body: unknown, blob: Buffer): { snapshot?: { index: number; data: Buffer }; entries: MetadataEntry[] } | string {
  const b = body as Partial<FetchMetadataAnswer> | null;
  if (b === null || typeof b !== 'object' || !Array.isArray(b.entries)) return 'metadata feed without entries';
  let pos = 0;
  const take = (length: unknown): Buffer | undefined => {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || pos + length > blob.length) return undefined;
    const out = blob.subarray(pos, pos + length);
    pos += length;
    return out;
  };
  let snapshot: { index: number; data: Buffer } | undefined;
  if (b.snapshot !== undefined) {
    const data = take(b.snapshot.length);
    if (data === undefined || typeof b.snapshot.index !== 'number') return 'metadata snapshot length does not match the bytes sent';
    snapshot = { index: b.snapshot.index, data };
  }
  const entries: MetadataEntry[] = [];
  for (const e of b.entries) {
    const data = take(e?.length);
    if (data === undefined || typeof e.index !== 'number') return 'metadata entry length does not match the bytes sent';
    entries.push({ index: e.index, data });
  }
  return { snapshot, entries };
}

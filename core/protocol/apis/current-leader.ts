// KIP-951: a Produce or Fetch answer that says the leader moved names the
// partition's current leader (CurrentLeader, per partition) and where each
// leader so named listens (NodeEndpoints, once per answer), so a client goes
// to the new leader at once instead of asking Metadata first.
import { ErrorCode, array, field, struct, type Field } from '../../wire';
import type { RequestContext } from '../api';
import type { PartitionLeader } from '../ports';

/** CurrentLeader as answers carry it. */
export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

/** One entry of NodeEndpoints. */
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** The errors after which an answer names the current leader (as Kafka's brokers do). */
const LEADER_CHANGED: ReadonlySet<number> = new Set([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH]);

/** The CurrentLeader field (LeaderIdAndEpoch): tagged, left out when no leader is named. */
export function currentLeaderField(versionSpec: string, tag: number): Field {
  return field(
    'currentLeader',
    struct([field('leaderId', 'int32', versionSpec, { default: -1 }), field('leaderEpoch', 'int32', versionSpec, { default: -1 })]),
    versionSpec,
    { tag, default: undefined },
  );
}

/** The top-level NodeEndpoints field (tag 0): the brokers the answer's CurrentLeaders name. */
export function nodeEndpointsField(versionSpec: string): Field {
  return field(
    'nodeEndpoints',
    array([
      field('nodeId', 'int32', versionSpec),
      field('host', 'string', versionSpec),
      field('port', 'int32', versionSpec),
      field('rack', 'string', versionSpec, { nullable: versionSpec, default: null }),
    ]),
    versionSpec,
    { tag: 0 },
  );
}

/**
 * The leader to name in a partition's answer of `errorCode`: only when the
 * leader moved, only a known one, and only from version `since` (the first
 * that carries CurrentLeader).
 */
export function currentLeaderFor(ctx: RequestContext, since: number, topic: string, partition: number, errorCode: number): PartitionLeader | undefined {
  return ctx.apiVersion >= since && LEADER_CHANGED.has(errorCode) ? ctx.metadata.currentLeader(topic, partition) : undefined;
}

/** Where the `leaders` named listen, on the listener the client came in on ([] when none are named). */
export function nodeEndpoints(ctx: RequestContext, leaders: Iterable<PartitionLeader | undefined>): NodeEndpoint[] {
  const ids = new Set<number>();
  for (const l of leaders) if (l !== undefined) ids.add(l.leaderId);
  return ids.size === 0 ? [] : ctx.metadata.brokers(ctx.advertised).filter((b) => ids.has(b.nodeId));
}

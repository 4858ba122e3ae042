// What `rill cluster status` shows, gathered over core/cluster's RPC: every
// controller's own view of the metadata Raft (describeQuorum), the committed
// metadata image read from the active controller (the same feed brokers
// follow), and each live broker's replicas with their offsets, from which a
// follower's lag behind its leader is computed. Every call has a deadline; a
// node that does not answer is shown as unreachable, never waited on forever.
import * as E from 'fp-ts/Either';
import { MetadataImage } from '../metadata/image';
import type { ControllerAddress } from '../net/addresses';
import { DESCRIBE_REPLICAS_METHOD, type ReplicaDescription } from '../broker/broker-process';
import { ControllerMethod, type DescribeQuorumAnswer } from '../controller/controller-protocol';
import { callOnce } from '../net/rpc';
import type { LinkSockets } from '../net/rpc';
import { readMetadataImage } from '../controller/metadata-reader';

export interface ControllerStatus {
  readonly id: number;
  readonly address: string;
  /** Set when the controller answered; otherwise `error` says why not. */
  readonly quorum?: DescribeQuorumAnswer;
  readonly error?: string;
}

export interface BrokerStatus {
  readonly id: number;
  readonly address: string;
  readonly rack: string | null;
  readonly brokerEpoch: number;
  readonly fenced: boolean;
  /** Whether its replication port answered describeReplicas (undefined: not asked, it is fenced). */
  readonly reachable?: boolean;
}

export interface ReplicaStatus {
  readonly broker: number;
  readonly inIsr: boolean;
  /** From the broker itself, when it answered and hosts the replica. */
  readonly logEndOffset?: number;
  readonly highWatermark?: number;
  /** Leader's log end offset minus this replica's (both as their brokers reported them). */
  readonly lag?: number;
}

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly ReplicaStatus[];
}

export interface TopicStatus {
  readonly name: string;
  readonly topicId: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface AppStatus {
  readonly app: string;
  readonly generation: number;
  readonly workers: readonly {
    readonly workerId: string;
    readonly workerEpoch: number;
    readonly tasks: readonly string[];
    readonly standbys: readonly string[];
  }[];
  readonly tasks: readonly { readonly task: string; readonly owner: string; readonly taskEpoch: number; readonly standbys: readonly string[] }[];
}

export interface ClusterStatus {
  /** The active controller (0: none answered as active). */
  readonly leader: number;
  readonly term: number;
  /** The metadata log index the image below reflects (-1: no image was read). */
  readonly metadataIndex: number;
  readonly controllers: readonly ControllerStatus[];
  readonly brokers: readonly BrokerStatus[];
  readonly topics: readonly TopicStatus[];
  readonly partitions: readonly PartitionStatus[];
  readonly apps: readonly AppStatus[];
  /** Problems worth a line each (unreachable nodes, no leader, a controller that is not who the list says). */
  readonly warnings: readonly string[];
}

/** One controller's view of the quorum; an error names the controller and what went wrong. */
export async function describeQuorum(c: ControllerAddress, timeoutMs: number, sockets?: LinkSockets): Promise<E.Either<string, DescribeQuorumAnswer>> {
  const r = await callOnce(c.host, c.port, ControllerMethod.describeQuorum, {}, timeoutMs, sockets);
  if (!r.ok) return E.left(`controller ${c.id} at ${c.host}:${c.port} did not answer: ${r.error}`);
  const a = r.body as Partial<DescribeQuorumAnswer> | null;
  if (a === null || typeof a !== 'object' || typeof a.nodeId !== 'number' || typeof a.term !== 'number') {
    return E.left(`${c.host}:${c.port} answered, but not as a Rill controller (listed as controller ${c.id})`);
  }
  if (a.nodeId !== c.id) return E.left(`${c.host}:${c.port} is controller ${a.nodeId}, not ${c.id} as --controllers says; fix the list`);
  return E.right(a as DescribeQuorumAnswer);
}

interface BrokerReplicas {
  readonly brokerId: number;
  readonly replicas: readonly ReplicaDescription[];
}

async function describeReplicas(host: string, port: number, timeoutMs: number, sockets: LinkSockets | undefined): Promise<BrokerReplicas | undefined> {
  const r = await callOnce(host, port + 1, DESCRIBE_REPLICAS_METHOD, {}, timeoutMs, sockets);
  if (!r.ok) return undefined;
  const b = r.body as Partial<BrokerReplicas> | null;
  return b !== null && typeof b === 'object' && Array.isArray(b.replicas) ? (b as BrokerReplicas) : undefined;
}

/** Where --controllers and the quorum's membership (as the active controller replicates it) disagree. */
function membershipWarnings(controllers: readonly ControllerAddress[], active: DescribeQuorumAnswer | undefined): string[] {
  const members = active?.replication;
  if (members === undefined) return [];
  const listed = new Set(controllers.map((c) => c.id));
  const inQuorum = new Set(members.map((m) => m.id));
  return [
    ...members
      .filter((m) => !listed.has(m.id))
      .map((m) => `controller ${active!.nodeId} replicates to ${m.learner ? 'learner' : 'voter'} ${m.id}, which --controllers does not list`),
    ...controllers.filter((c) => !inQuorum.has(c.id)).map((c) => `controller ${c.id} is listed in --controllers but is not a member of the quorum`),
  ];
}

/**
 * The whole picture. Left only when no controller answered at all; otherwise
 * whatever could be learnt, with `warnings` for what could not.
 */
export async function clusterStatus(
  controllers: readonly ControllerAddress[],
  timeoutMs = 3000,
  /** How connections are made: plain TCP, or the cluster's internal TLS. */
  sockets?: LinkSockets,
): Promise<E.Either<string, ClusterStatus>> {
  const warnings: string[] = [];
  const answers = await Promise.all(controllers.map((c) => describeQuorum(c, timeoutMs, sockets)));
  const controllerStatus: ControllerStatus[] = controllers.map((c, i) => {
    const a = answers[i];
    if (E.isLeft(a)) warnings.push(a.left);
    return { id: c.id, address: `${c.host}:${c.port}`, ...(E.isRight(a) ? { quorum: a.right } : { error: a.left }) };
  });
  const views = controllerStatus.flatMap((c) => (c.quorum ? [c.quorum] : []));
  if (views.length === 0) {
    return E.left(
      `no controller answered within ${timeoutMs} ms (${controllers.map((c) => `${c.id}@${c.host}:${c.port}`).join(', ')}); is the cluster running, and is --controllers right?\n  ${warnings.join('\n  ')}`,
    );
  }
  // The active controller of the highest term that answered; else the one the others name.
  const term = Math.max(...views.map((v) => v.term));
  const active = views.find((v) => v.active && v.term === term);
  const leader = active?.nodeId ?? 0;
  if (active === undefined)
    warnings.push(`no controller is active in term ${term}: an election may be under way, or a majority of the ${controllers.length} controllers is down`);
  warnings.push(...membershipWarnings(controllers, active));

  // The image: from the active controller, else from the most advanced one that answered.
  const source = active ?? [...views].sort((a, b) => b.appliedIndex - a.appliedIndex)[0];
  const read = await readMetadataImage(controllers.find((c) => c.id === source.nodeId)!, timeoutMs, sockets);
  if (E.isLeft(read)) warnings.push(read.left);
  const image = E.isRight(read) ? read.right.image : new MetadataImage();

  const registrations = [...image.brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
  const asked = await Promise.all(registrations.map((b) => (b.fenced ? Promise.resolve(undefined) : describeReplicas(b.host, b.port, timeoutMs, sockets))));
  const hosted = new Map<number, Map<string, ReplicaDescription>>();
  const brokers: BrokerStatus[] = registrations.map((b, i) => {
    const r = asked[i];
    if (r !== undefined) hosted.set(b.brokerId, new Map(r.replicas.map((x) => [`${x.topic}-${x.partition}`, x])));
    else if (!b.fenced)
      warnings.push(`broker ${b.brokerId} at ${b.host}:${b.port} is registered and unfenced but its replication port ${b.port + 1} did not answer`);
    return {
      id: b.brokerId,
      address: `${b.host}:${b.port}`,
      rack: b.rack,
      brokerEpoch: b.brokerEpoch,
      fenced: b.fenced,
      reachable: b.fenced ? undefined : r !== undefined,
    };
  });

  const topics = [...image.topics.values()].sort((a, b) => a.name.localeCompare(b.name));
  const partitions: PartitionStatus[] = [];
  for (const t of topics) {
    for (const p of [...t.partitions.values()].sort((a, b) => a.partition - b.partition)) {
      const key = `${t.name}-${p.partition}`;
      const leaderLeo = hosted.get(p.leader)?.get(key)?.logEndOffset;
      const replicas = p.replicas.map((id): ReplicaStatus => {
        const r = hosted.get(id)?.get(key);
        const inIsr = p.isr.includes(id);
        if (r === undefined) return { broker: id, inIsr };
        return {
          broker: id,
          inIsr,
          logEndOffset: r.logEndOffset,
          highWatermark: r.highWatermark,
          ...(leaderLeo !== undefined ? { lag: Math.max(0, leaderLeo - r.logEndOffset) } : {}),
        };
      });
      partitions.push({
        topic: t.name,
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        isr: [...p.isr],
        replicas,
      });
    }
  }

  const apps: AppStatus[] = [...image.apps.values()]
    .sort((a, b) => a.app.localeCompare(b.app))
    .map((a) => {
      const tasks = [...a.tasks.values()].sort((x, y) => x.task.localeCompare(y.task));
      return {
        app: a.app,
        generation: a.generation,
        workers: [...a.workers.values()]
          .sort((x, y) => x.workerId.localeCompare(y.workerId))
          .map((w) => ({
            workerId: w.workerId,
            workerEpoch: w.workerEpoch,
            tasks: tasks.filter((t) => t.owner === w.workerId).map((t) => t.task),
            standbys: tasks.filter((t) => t.standbys.includes(w.workerId)).map((t) => t.task),
          })),
        tasks: tasks.map((t) => ({ task: t.task, owner: t.owner, taskEpoch: t.taskEpoch, standbys: [...t.standbys] })),
      };
    });

  return E.right({
    leader,
    term,
    metadataIndex: E.isRight(read) ? read.right.index : -1,
    controllers: controllerStatus,
    brokers,
    topics: topics.map((t) => ({ name: t.name, topicId: t.topicId, config: { ...t.config } })),
    partitions,
    apps,
    warnings,
  });
}

// Consumer groups in cluster mode, for now on one fixed coordinator: the live
// broker with the lowest id. FindCoordinator on every broker names it, and it
// runs the group APIs with core/protocol's own handlers over an embedded
// core/broker Broker in <data-dir>/groups. That embedded broker checks commits
// against its own topics, so it holds an empty shadow of every cluster topic
// (name and partition count); no records are ever written there.
// Limitation (documented): committed offsets live on that broker's disk only,
// unreplicated; when the coordinator changes, groups start from their reset
// policy. Replicated group state (__consumer_offsets as a cluster topic) is next.
import * as path from 'node:path';
import { Broker } from '../../broker';
import { apis, type ApiDefinition } from '../../protocol';
import type { MetadataImage } from '../metadata/image';
import type { KafkaRequestContext, ServedApi } from './kafka-listener';

const COORDINATOR_NOT_AVAILABLE = 15;

export class FixedGroupCoordinator {
  private readonly broker: Broker;

  constructor(
    dataDir: string,
    nodeId: number,
    private readonly image: () => MetadataImage,
    private readonly log: (m: string) => void,
  ) {
    this.broker = Broker.open({ dir: path.join(dataDir, 'groups'), nodeId });
  }

  /** The coordinator of every group: the live broker with the lowest id. */
  coordinator(): { nodeId: number; host: string; port: number } | undefined {
    const b = this.image().liveBrokers()[0];
    return b && { nodeId: b.brokerId, host: b.host, port: b.port };
  }

  /** Gives every cluster topic its empty shadow here (commits are checked against it). */
  syncTopics(): void {
    for (const t of this.image().topics.values()) {
      const shadow = this.broker.describeTopic(t.name);
      if (shadow._tag === 'Right' && shadow.right.partitions >= t.partitions.size) continue;
      if (shadow._tag === 'Right') this.broker.createPartitions(t.name, t.partitions.size);
      else this.broker.createTopic({ name: t.name, partitions: Math.max(1, t.partitions.size) });
    }
  }

  private findCoordinator(req: apis.FindCoordinatorRequest, ctx: KafkaRequestContext): apis.FindCoordinatorResponse {
    const c = this.coordinator();
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    const errorCode = c === undefined ? COORDINATOR_NOT_AVAILABLE : 0;
    const errorMessage = c === undefined ? 'No live broker yet; retry.' : null;
    const at = c ?? { nodeId: -1, host: '', port: -1 };
    return { throttleTimeMs: 0, errorCode, errorMessage, ...at, coordinators: keys.map((key) => ({ key, ...at, errorCode, errorMessage })) };
  }

  /** The group APIs, each delegated to core/protocol's handler over the embedded broker. */
  servedApis(): ServedApi[] {
    const delegate = (api: ApiDefinition): ServedApi => ({
      api,
      minVersion: api.versions.min,
      maxVersion: api.versions.max,
      handle: (request, ctx) => api.handle(request, { broker: this.broker, apiVersion: ctx.apiVersion, clientId: null, advertised: ctx.advertised, signal: ctx.signal, autoCreateTopics: false, log: this.log }),
    });
    return [
      { api: apis.findCoordinator, minVersion: apis.findCoordinator.versions.min, maxVersion: apis.findCoordinator.versions.max, handle: (r, ctx) => this.findCoordinator(r, ctx) },
      ...[apis.joinGroup, apis.syncGroup, apis.heartbeat, apis.leaveGroup, apis.offsetCommit, apis.offsetFetch, apis.describeGroups, apis.listGroups].map(delegate),
    ];
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

// What one Kafka API is to the server: its key, the versions Rill serves, its
// request and response schemas, and the handler that answers a decoded request
// through the broker's ports.
import type { BrokerPorts } from './ports';
import { MessageSchema, VersionRange, versions } from './schema';

/** Everything a handler may use besides its request: the broker's ports, and the request's circumstances. */
export interface RequestContext extends BrokerPorts {
  apiVersion: number;
  clientId: string | null;
  /** host:port this node advertises in Metadata and FindCoordinator. */
  advertised: { host: string; port: number };
  /** Ends long polls when the connection closes or the server shuts down. */
  signal: AbortSignal;
  /** Metadata may create unknown topics (auto.create.topics.enable). */
  autoCreateTopics: boolean;
  log: (message: string) => void;
}

/** A handler's answer: the response, or nothing (Produce with acks=0 gets no response). */
export type HandlerResult<Res> = Res | null | Promise<Res | null>;

export interface ApiDefinition<Req = any, Res = any> {
  key: number;
  name: string;
  /** Versions served (advertised in ApiVersions). */
  versions: VersionRange;
  request: MessageSchema;
  response: MessageSchema;
  handle(request: Req, context: RequestContext): HandlerResult<Res>;
}

export function defineApi<Req, Res>(spec: { key: number; name: string; versions: string; request: MessageSchema; response: MessageSchema; handle: (request: Req, context: RequestContext) => HandlerResult<Res> }): ApiDefinition<Req, Res> {
  return { ...spec, versions: versions(spec.versions) };
}

/** Kafka's API keys for the APIs Rill serves. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  CreatePartitions: 37,
  DeleteGroups: 42,
} as const;

// What one Kafka API is to the server: its key, the versions Rill serves, its
// request and response schemas, and the handler that answers a decoded request
// through the broker's ports.
import type { LogLine } from '../logging';
import type { BrokerPorts, Endpoint } from './ports';
import { MessageSchema, VersionRange, versions } from '../wire';

/** Everything a handler may use besides its request: the broker's ports, and the request's circumstances. */
export interface RequestContext extends BrokerPorts {
  apiVersion: number;
  clientId: string | null;
  /** Kafka's principal: "User:<subject DN>" from a TLS client certificate, "User:ANONYMOUS" otherwise. */
  principal: string;
  /** The client's IP address, as ACL hosts name it. */
  clientHost: string;
  /** host:port this node advertises in Metadata and FindCoordinator. */
  advertised: Endpoint;
  /** Ends long polls when the connection closes or the server shuts down. */
  signal: AbortSignal;
  /** Metadata may create unknown topics (auto.create.topics.enable). */
  autoCreateTopics: boolean;
  /** One info line; client-supplied values (topic names, ids) go in `fields`, never in the message. */
  log: LogLine;
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

export function defineApi<Req, Res>(spec: {
  key: number;
  name: string;
  versions: string;
  request: MessageSchema;
  response: MessageSchema;
  handle: (request: Req, context: RequestContext) => HandlerResult<Res>;
}): ApiDefinition<Req, Res> {
  return { ...spec, versions: versions(spec.versions) };
}

/** Kafka's API keys (all of them: core/wire's table). */
export { ApiKey } from '../wire';

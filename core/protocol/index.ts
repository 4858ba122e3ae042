// core/protocol: the Kafka wire protocol -- one primitive codec, one schema per
// API message walked by one generic encoder/decoder, one module per API with its
// handler, and the TCP server: the one Kafka front end, serving any broker
// through its ports (ports.ts; single-node.ts over the embedded broker, core/cluster's
// over a cluster broker). The only door into this folder.
export { KafkaServer, DEFAULT_MAX_FRAME_BYTES } from './server/server';
export type { KafkaServerOptions, ServerBounds } from './server/server';
export { partitionLogGauges } from './server/broker-metrics';
export { parseListeners, isLoopback, exposureWarning, usesSasl, usesTls, SECURITY_PROTOCOLS } from './server/listeners';
export type { ListenerSpec, SecurityProtocol } from './server/listeners';
export { SaslSession, SASL_MECHANISM_NAMES, DEFAULT_SASL_HANDSHAKE_TIMEOUT_MS, DEFAULT_SASL_MAX_RECEIVE_BYTES } from './server/sasl-session';
export type { ListenerSasl } from './server/sasl-session';
export {
  ConnectionLimiter,
  MemoryPool,
  FrameReader,
  listenerBounds,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_QUEUED_MAX_REQUEST_BYTES,
  DEFAULT_REQUEST_RECEIVE_TIMEOUT_MS,
} from './server/bounds';
export type { ListenerBounds, Frame, FrameRead, ReceiveDeadline } from './server/bounds';
export { ListenerTls, CLIENT_AUTH_VALUES, ANONYMOUS, principalOf, certificatePrincipal } from './server/tls';
export type { ListenerTlsOptions, ClientAuth } from './server/tls';
export { Reader, Writer, DecodeError } from '../wire';
export { decodeMessage, encodeMessage, field, array, struct, message, versions, inRange } from '../wire';
export type { MessageSchema, Field, FieldType, Primitive, VersionRange, Message } from '../wire';
export { readRequestHeader, writeRequestHeader, responseHeader, peekHeader } from './header';
export type { RequestHeader } from './header';
export { APIS, apiByKey, servedApiVersions } from './apis';
export type { ApiVersionRange } from './apis';
export { ApiKey } from './api';
export type { ApiDefinition, RequestContext } from './api';
export { singleNodePorts } from './single-node';
export type * from './ports';
export { NO_TOPIC_ID, numberedTopicIdHex, topicNumberOfHex } from './topic-id';
export { leaderEpochError, leaderEpochRefusal } from './leader-epoch';
export { ErrorCode } from '../wire';
export { KafkaConnection, KafkaClientError, parseHostPort } from './client/client';
export type { KafkaConnectionOptions, ClientTlsOptions } from './client/client';
export type { ClientSaslOptions } from './sasl/sasl-client';
/** HTTP basic auth against the SASL users (the schema registry's). */
export { userPasswordMatches } from './sasl';
export * as apis from './apis/public';
export * as sasl from './sasl';
export * as auth from './auth';
export { fileAclPort, codeOf as aclCodeOf, describeBinding as describeAcl } from './auth';

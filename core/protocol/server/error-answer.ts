// What a request whose handler failed (a bug, or a storage error the handler did
// not expect) is answered with, instead of a closed connection (Kafka's
// AbstractRequest.getErrorResponse): UNKNOWN_SERVER_ERROR in the response's
// top-level error code, with the reason in its error message where the version
// has one. A client then fails or retries that request as its error handling
// says, and keeps its connection and its other requests; closing made kafkajs
// retry five times and give up with "connection closed". APIs whose errors are
// per topic or partition only (Produce, Fetch, Metadata...) have no top-level
// code: for them the connection is still closed.
import type { ApiDefinition } from '../api';
import { ErrorCode, inRange } from '../../wire';

export function errorAnswer(api: ApiDefinition, apiVersion: number, reason: string): Record<string, unknown> | undefined {
  const has = (name: string) => api.response.fields.some((f) => f.name === name && inRange(f.versions, apiVersion));
  if (!has('errorCode')) return undefined;
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, ...(has('errorMessage') ? { errorMessage: reason } : {}) };
}

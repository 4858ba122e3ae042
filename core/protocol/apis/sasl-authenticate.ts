// SaslAuthenticate (36): one step of the SASL exchange SaslHandshake started.
// On a SASL listener the connection's SaslSession answers it; this handler is
// what any other listener (or an authenticated connection) answers: Kafka's
// ILLEGAL_SASL_STATE. answerSaslAuthenticate turns an exchange's step into the response.
import { ApiKey, ErrorCode, field, message } from '../../wire';
import { defineApi } from '../api';
import type { SaslExchange } from '../sasl';

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

const request = message('2+', [field('authBytes', 'bytes', '0+')]);

const response = message('2+', [
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field('authBytes', 'bytes', '0+'),
  field('sessionLifetimeMs', 'int64', '1+', { default: 0 }),
]);

/** The response to one step of an exchange; `principal` is set once the client is authenticated. */
export function answerSaslAuthenticate(exchange: SaslExchange, req: SaslAuthenticateRequest): { response: SaslAuthenticateResponse; principal?: string } {
  const step = exchange.step(req.authBytes);
  if (step.kind === 'failed') return { response: { errorCode: step.errorCode, errorMessage: step.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 } };
  const response = { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0 };
  return step.kind === 'done' ? { response, principal: step.principal } : { response };
}

export const saslAuthenticateApi = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  key: ApiKey.SaslAuthenticate,
  name: 'SaslAuthenticate',
  versions: '0-2',
  request,
  response,
  handle: () => ({
    errorCode: ErrorCode.ILLEGAL_SASL_STATE,
    errorMessage: 'SaslAuthenticate without a SaslHandshake on this connection',
    authBytes: Buffer.alloc(0),
    sessionLifetimeMs: 0,
  }),
});

// SaslAuthenticate (36): one step of the SASL exchange SaslHandshake started.
// The exchange lives with the connection, which will hand it in (next step of
// #16); answerSaslAuthenticate turns its step into the response. Until the
// connection holds an exchange, the handler answers ILLEGAL_SASL_STATE, as
// Kafka does for SaslAuthenticate without a SaslHandshake.
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

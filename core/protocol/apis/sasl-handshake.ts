// SaslHandshake (17): the client names its SASL mechanism. On a SASL listener
// the connection's SaslSession answers it (server/sasl-session.ts: the
// mechanisms, then the exchange in SaslAuthenticate, or bare tokens after v0).
// This handler is what a PLAINTEXT or SSL listener answers: Kafka's
// ILLEGAL_SASL_STATE ("handshake request not expected"), no mechanisms.
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

const request = message('none', [field('mechanism', 'string', '0+')]);

const response = message('none', [field('errorCode', 'int16', '0+'), field('mechanisms', array('string'), '0+')]);

export const saslHandshakeApi = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  key: ApiKey.SaslHandshake,
  name: 'SaslHandshake',
  versions: '0-1',
  request,
  response,
  handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
});

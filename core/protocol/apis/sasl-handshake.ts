// SaslHandshake (17): the client names its SASL mechanism; the answer lists the
// mechanisms the listener enables (UNSUPPORTED_SASL_MECHANISM for another).
// After v1 the exchange travels in SaslAuthenticate requests; after v0 the
// client sends raw SASL tokens in size-prefixed frames, which the connection
// must read as such. Remembering the mechanism and those framings are the
// connection's part (next step of #16); this handler answers the question.
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
  handle(req, ctx) {
    const mechanisms = [...(ctx.security?.saslMechanisms ?? [])];
    return { errorCode: mechanisms.includes(req.mechanism) ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
  },
});

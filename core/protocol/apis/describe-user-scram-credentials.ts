// DescribeUserScramCredentials (50, KIP-554): which SCRAM mechanisms (and
// iterations) each user has credentials for; never the keys. No users (null or
// empty) means every user; a user asked twice is DUPLICATE_RESOURCE, a user
// without credentials RESOURCE_NOT_FOUND, as Kafka answers.
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { clusterAuthorized, deniedCode, deniedMessage } from '../auth';

export interface DescribeUserScramCredentialsRequest {
  users: { name: string }[] | null;
}

export interface DescribeUserScramCredentialsResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentialInfos: { mechanism: number; iterations: number }[];
}

export interface DescribeUserScramCredentialsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  results: DescribeUserScramCredentialsResult[];
}

const request = message('0+', [field('users', array([field('name', 'string', '0+')]), '0+', { nullable: '0+' })]);

const response = message('0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field(
    'results',
    array([
      field('user', 'string', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+' }),
      field('credentialInfos', array([field('mechanism', 'int8', '0+'), field('iterations', 'int32', '0+')]), '0+'),
    ]),
    '0+',
  ),
]);

export const describeUserScramCredentialsApi = defineApi<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  key: ApiKey.DescribeUserScramCredentials,
  name: 'DescribeUserScramCredentials',
  versions: '0-0',
  request,
  response,
  handle(req, ctx) {
    if (ctx.security === undefined)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: 'this listener has no SCRAM credentials (security is disabled)',
        results: [],
      };
    if (!clusterAuthorized(ctx, 'DESCRIBE'))
      return { throttleTimeMs: 0, errorCode: deniedCode.Cluster, errorMessage: deniedMessage(ctx, 'Cluster', '', 'DESCRIBE'), results: [] };
    const users = ctx.security.scramUsers();
    const asked = req.users === null || req.users.length === 0 ? [...users.keys()] : req.users.map((u) => u.name);
    // One result per user, duplicates included once.
    const results = [...new Set(asked)].map((user): DescribeUserScramCredentialsResult => {
      const held = users.get(user);
      if (asked.indexOf(user) !== asked.lastIndexOf(user))
        return refusal(user, ErrorCode.DUPLICATE_RESOURCE, `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`);
      if (held === undefined || held.length === 0)
        return refusal(user, ErrorCode.RESOURCE_NOT_FOUND, `Attempt to describe a user credential that does not exist: ${user}`);
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: held.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});

function refusal(user: string, errorCode: number, errorMessage: string): DescribeUserScramCredentialsResult {
  return { user, errorCode, errorMessage, credentialInfos: [] };
}

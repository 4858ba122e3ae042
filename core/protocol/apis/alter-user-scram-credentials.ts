// AlterUserScramCredentials (51, KIP-554): adds, replaces and deletes users'
// SCRAM credentials. An upsertion carries the SaltedPassword (the client ran
// PBKDF2), from which the broker keeps StoredKey and ServerKey. One result per
// user: a user whose alterations are all acceptable has them applied; any
// refusal (Kafka's codes: UNSUPPORTED_SASL_MECHANISM, UNACCEPTABLE_CREDENTIAL,
// RESOURCE_NOT_FOUND, DUPLICATE_RESOURCE) leaves that user's credentials as they were.
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { clusterAuthorized, deniedCode, deniedMessage } from '../auth';
import type { ScramCredentialChange, SecurityPort } from '../ports';
import { checkIterations, credentialFromSaltedPassword, scramMechanismByType, toPortRecord } from '../sasl';

export interface ScramDeletion {
  name: string;
  mechanism: number;
}

export interface ScramUpsertion {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface AlterUserScramCredentialsRequest {
  deletions: ScramDeletion[];
  upsertions: ScramUpsertion[];
}

export interface AlterUserScramCredentialsResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface AlterUserScramCredentialsResponse {
  throttleTimeMs: number;
  results: AlterUserScramCredentialsResult[];
}

const request = message('0+', [
  field('deletions', array([field('name', 'string', '0+'), field('mechanism', 'int8', '0+')]), '0+'),
  field(
    'upsertions',
    array([
      field('name', 'string', '0+'),
      field('mechanism', 'int8', '0+'),
      field('iterations', 'int32', '0+'),
      field('salt', 'bytes', '0+'),
      field('saltedPassword', 'bytes', '0+'),
    ]),
    '0+',
  ),
]);

const response = message('0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', array([field('user', 'string', '0+'), field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+' })]), '0+'),
]);

type Checked = { change: ScramCredentialChange } | { errorCode: number; errorMessage: string };

function checkDeletion(d: ScramDeletion, security: SecurityPort): Checked {
  const mechanism = scramMechanismByType(d.mechanism);
  if (mechanism === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: `Unknown SCRAM mechanism ${d.mechanism}` };
  if (security.scramCredential(d.name, d.mechanism) === undefined)
    return { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to delete a user credential that does not exist: ${d.name} (${mechanism.name})` };
  return { change: { kind: 'delete', user: d.name, mechanism: d.mechanism } };
}

function checkUpsertion(u: ScramUpsertion): Checked {
  const mechanism = scramMechanismByType(u.mechanism);
  if (mechanism === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: `Unknown SCRAM mechanism ${u.mechanism}` };
  const badIterations = checkIterations(u.iterations);
  if (badIterations) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: badIterations };
  if (u.salt.length === 0) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'the salt must not be empty' };
  if (u.saltedPassword.length !== mechanism.keyLength)
    return {
      errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      errorMessage: `a ${mechanism.name} salted password has ${mechanism.keyLength} bytes, got ${u.saltedPassword.length}`,
    };
  const credential = credentialFromSaltedPassword(mechanism, u.saltedPassword, u.salt, u.iterations);
  return { change: { kind: 'upsert', user: u.name, credential: toPortRecord(credential) } };
}

export const alterUserScramCredentialsApi = defineApi<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  key: ApiKey.AlterUserScramCredentials,
  name: 'AlterUserScramCredentials',
  versions: '0-0',
  request,
  response,
  async handle(req, ctx) {
    const alterations = [
      ...req.deletions.map((d) => ({ name: d.name, mechanism: d.mechanism })),
      ...req.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism })),
    ];
    const users = [...new Set(alterations.map((a) => a.name))];
    const security = ctx.security;
    if (security === undefined)
      return {
        throttleTimeMs: 0,
        results: users.map((user) => ({ user, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'this listener has no SCRAM credentials' })),
      };
    if (!clusterAuthorized(ctx, 'ALTER'))
      return {
        throttleTimeMs: 0,
        results: users.map((user) => ({ user, errorCode: deniedCode.Cluster, errorMessage: deniedMessage(ctx, 'Cluster', '', 'ALTER') })),
      };
    const checked = new Map<string, Checked[]>(users.map((u) => [u, []]));
    for (const d of req.deletions) checked.get(d.name)!.push(checkDeletion(d, security));
    for (const u of req.upsertions) checked.get(u.name)!.push(checkUpsertion(u));
    const changes: ScramCredentialChange[] = [];
    const results = users.map((user): AlterUserScramCredentialsResult => {
      if (user === '') return { user, errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
      const mechanisms = alterations.filter((a) => a.name === user).map((a) => a.mechanism);
      if (new Set(mechanisms).size !== mechanisms.length)
        return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `A user credential cannot be altered twice in the same request: ${user}` };
      const refused = checked.get(user)!.find((c) => !('change' in c));
      if (refused !== undefined && !('change' in refused)) return { user, errorCode: refused.errorCode, errorMessage: refused.errorMessage };
      for (const c of checked.get(user)!) if ('change' in c) changes.push(c.change);
      return { user, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    const failed = changes.length > 0 ? await security.alterScramCredentials(changes) : undefined;
    if (failed === undefined) return { throttleTimeMs: 0, results };
    return {
      throttleTimeMs: 0,
      results: results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: failed.code, errorMessage: failed.message } : r)),
    };
  },
});

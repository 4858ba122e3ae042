// CreateAcls (30): adds ACLs, one result per creation in request order. Needs
// ALTER on the cluster; a creation Kafka would refuse (unknown or ANY codes,
// MATCH/ANY patterns, an empty name, a cluster not named kafka-cluster, a
// principal that is not Type:name) is INVALID_REQUEST and the others go on.
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { invalidBinding } from '../auth';
import type { AclBinding } from '../ports';
import { aclAdmin } from './acls-common';

interface AclCreation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface CreateAclsRequest {
  creations: AclCreation[];
}

interface CreationResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateAclsResponse {
  throttleTimeMs: number;
  results: CreationResult[];
}

const request = message('2+', [
  field(
    'creations',
    array([
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field('resourcePatternType', 'int8', '1+', { default: 3 }),
      field('principal', 'string', '0+'),
      field('host', 'string', '0+'),
      field('operation', 'int8', '0+'),
      field('permissionType', 'int8', '0+'),
    ]),
    '0+',
  ),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', array([field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+' })]), '0+'),
]);

function binding(c: AclCreation): AclBinding {
  return {
    resourceType: c.resourceType,
    resourceName: c.resourceName,
    patternType: c.resourcePatternType,
    principal: c.principal,
    host: c.host,
    operation: c.operation,
    permission: c.permissionType,
  };
}

export const createAclsApi = defineApi<CreateAclsRequest, CreateAclsResponse>({
  key: ApiKey.CreateAcls,
  name: 'CreateAcls',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const acls = aclAdmin(ctx, 'ALTER');
    if ('errorCode' in acls) return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: acls.errorCode, errorMessage: acls.errorMessage })) };
    const bindings = req.creations.map(binding);
    const invalid = bindings.map(invalidBinding);
    const valid = bindings.filter((_, i) => invalid[i] === undefined);
    const created = valid.length > 0 ? await acls.createAcls(valid) : [];
    let next = 0;
    const results = invalid.map((why): CreationResult => {
      if (why !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why };
      const failed = created[next++];
      return failed === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: failed.code, errorMessage: failed.message };
    });
    return { throttleTimeMs: 0, results };
  },
});

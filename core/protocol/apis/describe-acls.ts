// DescribeAcls (29): the ACLs a filter matches, grouped by resource pattern.
// Needs DESCRIBE on the cluster; a filter with an UNKNOWN code is INVALID_REQUEST.
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { invalidFilter } from '../auth';
import type { AclBinding } from '../ports';
import { aclAdmin, entryFields, filterFields, fromWireFilter, type WireAclEntry, type WireFilter, wireEntry } from './acls-common';

export type DescribeAclsRequest = WireFilter;

interface DescribedResource {
  resourceType: number;
  resourceName: string;
  patternType: number;
  acls: WireAclEntry[];
}

export interface DescribeAclsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  resources: DescribedResource[];
}

const request = message('2+', filterFields);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field(
    'resources',
    array([
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field('patternType', 'int8', '1+', { default: 3 }),
      field('acls', array(entryFields), '0+'),
    ]),
    '0+',
  ),
]);

function byResource(bindings: readonly AclBinding[]): DescribedResource[] {
  const resources = new Map<string, DescribedResource>();
  for (const b of bindings) {
    const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
    let r = resources.get(key);
    if (!r) resources.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
    r.acls.push(wireEntry(b));
  }
  return [...resources.values()];
}

export const describeAclsApi = defineApi<DescribeAclsRequest, DescribeAclsResponse>({
  key: ApiKey.DescribeAcls,
  name: 'DescribeAcls',
  versions: '0-3',
  request,
  response,
  handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    const acls = aclAdmin(ctx, 'DESCRIBE');
    if ('errorCode' in acls) return fail(acls.errorCode, acls.errorMessage);
    const filter = fromWireFilter(req);
    const invalid = invalidFilter(filter);
    if (invalid !== undefined) return fail(ErrorCode.INVALID_REQUEST, invalid);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: byResource(acls.describeAcls(filter)) };
  },
});

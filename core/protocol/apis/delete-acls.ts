// DeleteAcls (31): removes every ACL each filter matches, and names them. Needs
// ALTER on the cluster; a filter with an UNKNOWN code is INVALID_REQUEST (the
// other filters go on).
import * as E from 'fp-ts/Either';
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { invalidFilter } from '../auth';
import type { AclBinding, AclBindingFilter } from '../ports';
import { aclAdmin, entryFields, filterFields, fromWireFilter, type WireAclEntry, type WireFilter, wireEntry } from './acls-common';

export interface DeleteAclsRequest {
  filters: WireFilter[];
}

interface MatchingAcl extends WireAclEntry {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  patternType: number;
}

interface FilterResult {
  errorCode: number;
  errorMessage: string | null;
  matchingAcls: MatchingAcl[];
}

export interface DeleteAclsResponse {
  throttleTimeMs: number;
  filterResults: FilterResult[];
}

const request = message('2+', [field('filters', array(filterFields), '0+')]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'filterResults',
    array([
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+' }),
      field(
        'matchingAcls',
        array([
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullable: '0+' }),
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('patternType', 'int8', '1+', { default: 3 }),
          ...entryFields,
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

function matching(b: AclBinding): MatchingAcl {
  return { errorCode: 0, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, ...wireEntry(b) };
}

export const deleteAclsApi = defineApi<DeleteAclsRequest, DeleteAclsResponse>({
  key: ApiKey.DeleteAcls,
  name: 'DeleteAcls',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const failed = (errorCode: number, errorMessage: string): FilterResult => ({ errorCode, errorMessage, matchingAcls: [] });
    const acls = aclAdmin(ctx, 'ALTER');
    if ('errorCode' in acls) return { throttleTimeMs: 0, filterResults: req.filters.map(() => failed(acls.errorCode, acls.errorMessage)) };
    const filters = req.filters.map(fromWireFilter);
    const invalid = filters.map(invalidFilter);
    const valid: AclBindingFilter[] = filters.filter((_, i) => invalid[i] === undefined);
    const deleted = valid.length > 0 ? await acls.deleteAcls(valid) : E.right([]);
    let next = 0;
    const filterResults = invalid.map((why): FilterResult => {
      if (why !== undefined) return failed(ErrorCode.INVALID_REQUEST, why);
      if (E.isLeft(deleted)) return failed(deleted.left.code, deleted.left.message);
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: deleted.right[next++].map(matching) };
    });
    return { throttleTimeMs: 0, filterResults };
  },
});

// ListGroups (16): groups with members or committed offsets, optionally by state (v4+).
import { defineApi } from '../api';
import { authorizer, clusterAuthorized } from '../auth';
import { ApiKey, array, field, message } from '../../wire';

export interface ListGroupsRequest {
  statesFilter: string[];
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: { groupId: string; protocolType: string; groupState: string }[];
}

const request = message('3+', [field('statesFilter', array('string'), '4+'), field('typesFilter', array('string'), '5+')]);

const response = message('3+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0+'),
  field(
    'groups',
    array([field('groupId', 'string', '0+'), field('protocolType', 'string', '0+'), field('groupState', 'string', '4+'), field('groupType', 'string', '5+')]),
    '0+',
  ),
]);

export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  key: ApiKey.ListGroups,
  name: 'ListGroups',
  versions: '0-4',
  request,
  response,
  async handle(req, ctx) {
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    // DESCRIBE on the cluster lists every group; otherwise the groups the principal may describe.
    const describable = clusterAuthorized(ctx, 'DESCRIBE') ? () => true : authorizer(ctx, 'Group', 'DESCRIBE');
    const groups = (await ctx.groups.listGroups())
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && describable(g.groupId))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? 'consumer', groupState: g.state }));
    return { throttleTimeMs: 0, errorCode: 0, groups };
  },
});

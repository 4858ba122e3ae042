// DeleteGroups (42): empty groups and their committed offsets.
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, array, field, message } from '../../wire';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: { groupId: string; errorCode: number }[];
}

const request = message('2+', [field('groupsNames', array('string'), '0+')]);
const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', array([field('groupId', 'string', '0+'), field('errorCode', 'int16', '0+')]), '0+'),
]);

export const deleteGroupsApi = defineApi<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  versions: '0-2',
  request,
  response,
  async handle(req, ctx) {
    const results = await Promise.all(
      req.groupsNames.map(async (groupId) => {
        const r = await ifAuthorized(ctx, 'Group', groupId, 'DELETE', () => ctx.groups.deleteGroup(groupId));
        return { groupId, errorCode: r._tag === 'Left' ? r.left.code : 0 };
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});

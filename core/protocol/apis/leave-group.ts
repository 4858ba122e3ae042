// LeaveGroup (13): one member (v0-2) or several (v3+) leave; the rest rebalance.
import { defineApi } from '../api';
import { authorized, deniedCode } from '../auth';
import { ApiKey, array, field, message } from '../../wire';

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null }[];
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const request = message('4+', [
  field('groupId', 'string', '0+'),
  field('memberId', 'string', '0-2'),
  field(
    'members',
    array([
      field('memberId', 'string', '3+'),
      field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
      field('reason', 'string', '5+', { nullable: '5+', default: null }),
    ]),
    '3+',
  ),
]);

const response = message('4+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0+'),
  field(
    'members',
    array([field('memberId', 'string', '3+'), field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }), field('errorCode', 'int16', '3+')]),
    '3+',
  ),
]);

export const leaveGroupApi = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  versions: '0-4',
  request,
  response,
  async handle(req, ctx) {
    if (!authorized(ctx, 'Group', req.groupId, 'READ')) return { throttleTimeMs: 0, errorCode: deniedCode.Group, members: [] };
    const memberIds = ctx.apiVersion >= 3 ? req.members.map((m) => m.memberId) : [req.memberId];
    const r = await ctx.groups.leaveGroup({ groupId: req.groupId, memberIds });
    // Before v3 a member's own error is the response's error.
    const errorCode = ctx.apiVersion < 3 && r.errorCode === 0 ? (r.members[0]?.errorCode ?? 0) : r.errorCode;
    return { throttleTimeMs: 0, errorCode, members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, errorCode: m.errorCode })) };
  },
});

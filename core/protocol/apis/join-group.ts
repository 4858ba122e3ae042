// JoinGroup (11): parked by the coordinator until the rebalance completes. A new
// member (member_id "") is given its id directly (no MEMBER_ID_REQUIRED round
// trip, which all clients accept).
import { defineApi } from '../api';
import { authorized, deniedCode } from '../auth';
import { ApiKey, array, field, message } from '../../wire';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

const request = message('6+', [
  field('groupId', 'string', '0+'),
  field('sessionTimeoutMs', 'int32', '0+'),
  field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  field('memberId', 'string', '0+'),
  field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
  field('protocolType', 'string', '0+'),
  field('protocols', array([field('name', 'string', '0+'), field('metadata', 'bytes', '0+')]), '0+'),
]);

const response = message('6+', [
  field('throttleTimeMs', 'int32', '2+'),
  field('errorCode', 'int16', '0+'),
  field('generationId', 'int32', '0+', { default: -1 }),
  field('protocolType', 'string', '7+', { nullable: '7+', default: null }),
  field('protocolName', 'string', '0+', { nullable: '7+' }),
  field('leader', 'string', '0+'),
  field('memberId', 'string', '0+'),
  field(
    'members',
    array([field('memberId', 'string', '0+'), field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }), field('metadata', 'bytes', '0+')]),
    '0+',
  ),
]);

export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  versions: '0-7',
  request,
  response,
  async handle(req, ctx) {
    if (!authorized(ctx, 'Group', req.groupId, 'READ'))
      return {
        throttleTimeMs: 0,
        errorCode: deniedCode.Group,
        generationId: -1,
        protocolType: null,
        protocolName: ctx.apiVersion >= 7 ? null : '',
        leader: '',
        memberId: req.memberId,
        members: [],
      };
    const r = await ctx.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId ?? undefined,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : undefined,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the name is not nullable.
      protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
      leader: r.leader,
      memberId: r.memberId,
      members: r.members,
    };
  },
});

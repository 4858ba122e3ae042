// Heartbeat (12): keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
import { defineApi } from '../api';
import { authorized, deniedCode } from '../auth';
import { ApiKey, field, message } from '../../wire';

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const request = message('4+', [
  field('groupId', 'string', '0+'),
  field('generationId', 'int32', '0+'),
  field('memberId', 'string', '0+'),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
]);

const response = message('4+', [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')]);

export const heartbeatApi = defineApi<HeartbeatRequest, HeartbeatResponse>({
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  versions: '0-4',
  request,
  response,
  async handle(req, ctx) {
    if (!authorized(ctx, 'Group', req.groupId, 'READ')) return { throttleTimeMs: 0, errorCode: deniedCode.Group };
    const r = await ctx.groups.heartbeat({ groupId: req.groupId, generationId: req.generationId, memberId: req.memberId });
    return { throttleTimeMs: 0, errorCode: r.errorCode };
  },
});

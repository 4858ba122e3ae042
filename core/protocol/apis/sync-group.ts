// SyncGroup (14): the leader hands out assignments; followers are parked until
// it does. Members the leader left out get empty bytes (no partitions).
import { defineApi } from '../api';
import { authorized, deniedCode } from '../auth';
import { ApiKey, array, field, message } from '../../wire';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

const request = message('4+', [
  field('groupId', 'string', '0+'),
  field('generationId', 'int32', '0+'),
  field('memberId', 'string', '0+'),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  field('protocolType', 'string', '5+', { nullable: '5+', default: null }),
  field('protocolName', 'string', '5+', { nullable: '5+', default: null }),
  field('assignments', array([field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+')]), '0+'),
]);

const response = message('4+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0+'),
  field('protocolType', 'string', '5+', { nullable: '5+', default: null }),
  field('protocolName', 'string', '5+', { nullable: '5+', default: null }),
  field('assignment', 'bytes', '0+'),
]);

export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  versions: '0-5',
  request,
  response,
  async handle(req, ctx) {
    if (!authorized(ctx, 'Group', req.groupId, 'READ'))
      return { throttleTimeMs: 0, errorCode: deniedCode.Group, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    const r = await ctx.groups.syncGroup({ groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, assignments: req.assignments });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
});

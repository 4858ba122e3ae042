// DescribeGroups (15): state, protocol and members with their (opaque)
// subscription metadata and assignment bytes.
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { array, field, message } from '../../wire';

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
  /** Left out: the schema's default (none requested). */
  authorizedOperations?: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

const request = message('5+', [field('groups', array('string'), '0+'), field('includeAuthorizedOperations', 'bool', '3+')]);

const response = message('5+', [
  field('throttleTimeMs', 'int32', '1+'),
  field(
    'groups',
    array([
      field('errorCode', 'int16', '0+'),
      field('groupId', 'string', '0+'),
      field('groupState', 'string', '0+'),
      field('protocolType', 'string', '0+'),
      field('protocolData', 'string', '0+'),
      field(
        'members',
        array([
          field('memberId', 'string', '0+'),
          field('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
          field('clientId', 'string', '0+'),
          field('clientHost', 'string', '0+'),
          field('memberMetadata', 'bytes', '0+'),
          field('memberAssignment', 'bytes', '0+'),
        ]),
        '0+',
      ),
      field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
    ]),
    '0+',
  ),
]);

export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  key: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  versions: '0-5',
  request,
  response,
  async handle(req, ctx) {
    const groups = await Promise.all(
      req.groups.map(async (groupId): Promise<DescribedGroup> => {
        const refused = (errorCode: number): DescribedGroup => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] });
        if (!groupId) return refused(ErrorCode.INVALID_GROUP_ID);
        const described = await ifAuthorized(ctx, 'Group', groupId, 'DESCRIBE', () => ctx.groups.describeGroup(groupId));
        if (described._tag === 'Left') return refused(described.left.code);
        const g = described.right;
        return {
          errorCode: ErrorCode.NONE,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType ?? '',
          // Kafka shows the protocol only once a rebalance has chosen it.
          protocolData: g.state === 'Stable' || g.state === 'CompletingRebalance' ? (g.protocolName ?? '') : '',
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: '',
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        };
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
});

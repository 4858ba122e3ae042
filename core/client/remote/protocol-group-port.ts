// GroupMember's GroupPort over the Kafka protocol: each group request goes to
// the group's coordinator, found again when it moves (GroupCoordinator.call),
// so the member only ever sees answers about the group itself.
import { apis } from '../../protocol';
import { ErrorCode } from '../../wire';
import type { GroupPort } from '../group-member';
import { COORDINATOR_MOVED, type GroupCoordinator } from './group-coordinator';

export function protocolGroupPort(coordinator: GroupCoordinator, partitionCounts: (topics: readonly string[]) => Promise<Map<string, number>>): GroupPort {
  const moved = (answer: { errorCode: number }) => COORDINATOR_MOVED.has(answer.errorCode);
  return {
    async joinGroup(request) {
      const join = (memberId: string) => coordinator.call((c) => c.request<apis.JoinGroupResponse>(apis.joinGroup, { ...request, memberId }), moved);
      const first = await join(request.memberId);
      // JoinGroup v4+: a new member is first given its id, then joins with it (KIP-394).
      return first.errorCode === ErrorCode.MEMBER_ID_REQUIRED ? join(first.memberId) : first;
    },
    syncGroup: (request) =>
      coordinator.call((c) => c.request<apis.SyncGroupResponse>(apis.syncGroup, { ...request, groupInstanceId: null, protocolType: 'consumer' }), moved),
    heartbeat: (request) => coordinator.call((c) => c.request<apis.HeartbeatResponse>(apis.heartbeat, { ...request, groupInstanceId: null }), moved),
    async leaveGroup({ groupId, memberId }) {
      await coordinator.call(
        (c) => c.request<apis.LeaveGroupResponse>(apis.leaveGroup, { groupId, memberId, members: [{ memberId, groupInstanceId: null, reason: null }] }),
        moved,
      );
    },
    partitionCounts,
  };
}

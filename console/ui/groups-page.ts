/// <reference lib="dom" />
// Consumer groups: every group with its state; one group's members, their assignment, and the lag of each partition.
import type { GroupSummary, GroupView } from '../model';
import { cards, flag, h, link, routeTo, table } from './dom';
import type { Page } from './page';

export function groupsPage(): Page {
  return {
    title: 'Consumer groups',
    sources: ['/api/groups'],
    draw([answer]) {
      const groups = answer as GroupSummary[];
      return h(
        'div',
        {},
        cards([{ label: 'Groups', value: groups.length, name: 'groups' }]),
        table(
          [
            { title: 'Group', cell: (g) => link(routeTo('groups', g.groupId), g.groupId) },
            { title: 'State', cell: (g) => g.state || '-', field: 'state' },
            { title: 'Protocol type', cell: (g) => g.protocolType || '-' },
          ],
          groups,
          (g) => ({ 'data-group': g.groupId }),
        ),
      );
    },
  };
}

export function groupPage(groupId: string): Page {
  return {
    title: `Group ${groupId}`,
    sources: [`/api/groups/${encodeURIComponent(groupId)}`],
    draw([answer]) {
      const g = answer as GroupView;
      return h(
        'div',
        {},
        cards([
          { label: 'State', value: g.state, name: 'state' },
          { label: 'Members', value: g.members.length, name: 'members' },
          { label: 'Total lag', value: g.totalLag, name: 'total-lag' },
        ]),
        h('h2', {}, 'Members'),
        table(
          [
            { title: 'Member', cell: (m) => m.memberId },
            { title: 'Client id', cell: (m) => m.clientId },
            { title: 'Host', cell: (m) => m.host },
            { title: 'Assignment', cell: (m) => m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(', ') || '-', field: 'assignment' },
          ],
          g.members,
          (m) => ({ 'data-member': m.memberId }),
        ),
        h('h2', {}, 'Offsets and lag'),
        table(
          [
            { title: 'Topic', cell: (o) => link(routeTo('topics', o.topic), o.topic) },
            { title: 'Partition', cell: (o) => o.partition, numeric: true },
            { title: 'Committed', cell: (o) => (o.committed >= 0 ? o.committed : '-'), numeric: true, field: 'committed' },
            { title: 'End offset', cell: (o) => o.endOffset, numeric: true, field: 'end-offset' },
            { title: 'Lag', cell: (o) => (o.lag === null ? '-' : o.lag > 0 ? flag(String(o.lag), 'bad') : '0'), numeric: true, field: 'lag' },
            { title: 'Member', cell: (o) => o.memberId ?? '-' },
          ],
          g.offsets,
          (o) => ({ 'data-partition': `${o.topic}/${o.partition}` }),
        ),
      );
    },
  };
}

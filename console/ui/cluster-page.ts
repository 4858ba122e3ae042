/// <reference lib="dom" />
// Cluster: the brokers (the controller marked), and every partition with its leader, replicas, ISR and flags.
import type { ClusterView, ConsoleInfo, PartitionView, QuorumView } from '../model';
import { cards, type Column, flag, h, link, routeTo, table } from './dom';
import type { Page } from './page';

export function clusterPage(info: ConsoleInfo): Page {
  return {
    title: 'Cluster',
    sources: ['/api/cluster', ...(info.controllers ? ['/api/quorum'] : [])],
    draw(answers) {
      const c = answers[0] as ClusterView;
      const quorum = answers[1] as QuorumView | undefined;
      return h(
        'div',
        {},
        cards([
          { label: 'Brokers', value: c.brokers.length, name: 'brokers' },
          { label: 'Controller', value: c.controllerId >= 0 ? `node ${c.controllerId}` : 'unknown', name: 'controller' },
          { label: 'Partitions', value: c.partitions.length, name: 'partitions' },
          { label: 'Under-replicated', value: c.underReplicated, name: 'under-replicated' },
          { label: 'Offline', value: c.offline, name: 'offline' },
        ]),
        h('p', { class: 'muted' }, `Cluster id ${c.clusterId ?? 'unknown'}`),
        quorum && controllersTable(quorum),
        h('h2', {}, 'Brokers'),
        table(
          [
            { title: 'Node', cell: (b) => b.nodeId, numeric: true, field: 'node' },
            { title: 'Address', cell: (b) => `${b.host}:${b.port}` },
            { title: 'Rack', cell: (b) => b.rack ?? '-' },
            { title: 'Role', cell: (b) => (b.controller ? flag('controller', 'info') : '') },
            { title: 'Leader of', cell: (b) => b.leaderOf, numeric: true, field: 'leader-of' },
          ],
          c.brokers,
          (b) => ({ 'data-broker': String(b.nodeId) }),
        ),
        h('h2', {}, 'Partitions'),
        partitionTable(c.partitions, true),
      );
    },
  };
}

/** Partitions with leader, replicas and ISR; an under-replicated or offline one is flagged. */
export function partitionTable(partitions: readonly PartitionView[], withTopic: boolean, extra: readonly Column<PartitionView>[] = []): HTMLElement {
  return table<PartitionView>(
    [
      ...(withTopic ? [{ title: 'Topic', cell: (p: PartitionView) => link(routeTo('topics', p.topic), p.topic) }] : []),
      { title: 'Partition', cell: (p) => p.partition, numeric: true },
      { title: 'Leader', cell: (p) => (p.leader >= 0 ? p.leader : flag('no leader', 'bad')), numeric: true, field: 'leader' },
      { title: 'Replicas', cell: (p) => p.replicas.join(', ') },
      { title: 'ISR', cell: (p) => p.isr.join(', '), field: 'isr' },
      { title: 'State', cell: (p) => (p.leader < 0 ? flag('offline', 'bad') : p.underReplicated ? flag('under-replicated', 'bad') : flag('in sync', 'ok')) },
      ...extra,
    ],
    partitions,
    (p) => ({ 'data-partition': `${p.topic}/${p.partition}`, ...(p.underReplicated || p.leader < 0 ? { class: 'warn' } : {}) }),
  );
}

/** A Rill cluster's controllers: the active one, each one's Raft role, term, commit index and lag. */
function controllersTable(q: QuorumView): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, `Controllers (active: ${q.leader > 0 ? q.leader : 'none'}, term ${q.term})`),
    table(
      [
        { title: 'Id', cell: (c) => c.id, numeric: true },
        { title: 'Address', cell: (c) => c.address },
        { title: 'Role', cell: (c) => (c.active ? flag('active', 'info') : c.error !== null ? flag('unreachable', 'bad') : c.role), field: 'role' },
        { title: 'Term', cell: (c) => c.term ?? '-', numeric: true, field: 'term' },
        { title: 'Commit index', cell: (c) => c.commitIndex ?? '-', numeric: true },
        { title: 'Lag', cell: (c) => c.lag ?? '-', numeric: true, field: 'lag' },
      ],
      q.controllers,
      (c) => ({ 'data-controller': String(c.id) }),
    ),
    ...q.warnings.map((w) => h('p', { class: 'error' }, w)),
  );
}

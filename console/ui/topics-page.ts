/// <reference lib="dom" />
// Topics: every topic with its size; one topic's partitions (with offsets) and configs, and the message browser.
import type { PartitionView, TopicPartitionView, TopicSummary, TopicView } from '../model';
import { messageBrowser } from './message-browser';
import { partitionTable } from './cluster-page';
import { cards, flag, h, link, routeTo, table } from './dom';
import type { Page } from './page';

export function topicsPage(): Page {
  return {
    title: 'Topics',
    sources: ['/api/topics'],
    draw([answer]) {
      const topics = answer as TopicSummary[];
      return h(
        'div',
        {},
        cards([
          { label: 'Topics', value: topics.length, name: 'topics' },
          { label: 'Partitions', value: topics.reduce((n, t) => n + t.partitions, 0), name: 'partitions' },
          { label: 'Records', value: topics.reduce((n, t) => n + t.records, 0), name: 'records' },
        ]),
        table(
          [
            {
              title: 'Topic',
              cell: (t) => h('span', {}, link(routeTo('topics', t.name), t.name), t.internal ? ' ' : '', t.internal ? flag('internal', 'info') : ''),
            },
            { title: 'Partitions', cell: (t) => t.partitions, numeric: true, field: 'partitions' },
            { title: 'Replication', cell: (t) => t.replicationFactor, numeric: true, field: 'replication' },
            { title: 'Records', cell: (t) => t.records, numeric: true, field: 'records' },
            { title: 'Under-replicated', cell: (t) => (t.underReplicated > 0 ? flag(String(t.underReplicated), 'bad') : '0'), numeric: true },
          ],
          topics,
          (t) => ({ 'data-topic': t.name }),
        ),
      );
    },
  };
}

export function topicPage(name: string): Page {
  return {
    title: `Topic ${name}`,
    fixed: messageBrowser(name),
    sources: [`/api/topics/${encodeURIComponent(name)}`],
    draw([answer]) {
      const t = answer as TopicView;
      const offsets = (p: PartitionView) => p as TopicPartitionView;
      return h(
        'div',
        {},
        cards([
          { label: 'Partitions', value: t.partitions.length, name: 'partitions' },
          { label: 'Records', value: t.records, name: 'records' },
        ]),
        h('h2', {}, 'Partitions'),
        partitionTable(t.partitions, false, [
          { title: 'Start offset', cell: (p) => offsets(p).startOffset, numeric: true, field: 'start-offset' },
          { title: 'End offset', cell: (p) => offsets(p).endOffset, numeric: true, field: 'end-offset' },
        ]),
        h('h2', {}, 'Configs'),
        table(
          [
            { title: 'Key', cell: (c) => c.name },
            { title: 'Value', cell: (c) => (c.sensitive ? h('span', { class: 'muted' }, '(sensitive)') : (c.value ?? '-')), field: 'value' },
            { title: 'Source', cell: (c) => (c.override ? flag('topic', 'info') : h('span', { class: 'muted' }, 'default')) },
          ],
          t.configs,
          (c) => ({ 'data-config': c.name }),
        ),
      );
    },
  };
}

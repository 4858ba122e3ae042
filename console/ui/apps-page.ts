/// <reference lib="dom" />
// Stream apps: the applications `rill worker`s run on a Rill cluster, each
// with its topology, its workers (the tasks and standbys each holds, as the
// controllers assigned them), and what the workers say of their tasks: each
// store's restore progress, each input partition's position and lag, and how
// far each standby trails its changelogs.
import type { AppView, TaskStatusView, TopologyView } from '../model';
import { cards, flag, h, link, routeTo, table } from './dom';
import type { Page } from './page';

export function appsPage(): Page {
  return {
    title: 'Stream apps',
    sources: ['/api/apps'],
    draw([answer]) {
      const apps = answer as AppView[];
      const tasks = apps.flatMap(taskRows);
      return h(
        'div',
        {},
        cards([
          { label: 'Applications', value: apps.length, name: 'apps' },
          { label: 'Workers', value: apps.reduce((n, a) => n + a.workers.length, 0), name: 'workers' },
          { label: 'Tasks', value: apps.reduce((n, a) => n + a.tasks.length, 0), name: 'tasks' },
          { label: 'Restoring', value: tasks.filter((t) => t.status?.state === 'restoring').length, name: 'restoring' },
          { label: 'Total lag', value: sum(tasks.flatMap((t) => t.status?.inputs.map((i) => i.lag ?? 0) ?? [])), name: 'total-lag' },
        ]),
        ...(apps.length === 0 ? [h('p', { class: 'muted' }, 'No application: no worker runs one, and no --pipeline was given.')] : apps.map(appSection)),
      );
    },
  };
}

type Worker = AppView['workers'][number];

/** A task as the controllers assigned it, with what its owner last said of it (null: the owner said nothing yet). */
interface TaskRow {
  readonly app: string;
  readonly task: string;
  readonly owner: string;
  readonly standbys: readonly string[];
  readonly status: TaskStatusView | null;
}

function taskRows(a: AppView): TaskRow[] {
  const statuses = new Map(a.workers.map((w) => [w.workerId, w.status]));
  return a.tasks.map((t) => {
    const n = taskNumber(t.task);
    const status = statuses.get(t.owner)?.tasks.find((s) => s.task === n) ?? null;
    return { app: a.app, task: t.task, owner: t.owner, standbys: t.standbys, status };
  });
}

function appSection(a: AppView): HTMLElement {
  if (a.generation < 0)
    return h('section', { 'data-app': a.app }, h('h2', {}, a.app), a.topology && topology(a.topology), h('p', { class: 'muted' }, 'No worker runs it.'));
  const tasks = taskRows(a);
  const inputs = tasks.flatMap((t) => (t.status?.inputs ?? []).map((i) => ({ ...i, task: t.task, owner: t.owner })));
  const standbys = a.workers.flatMap((w) =>
    (w.status?.standbys ?? []).flatMap((s) => s.stores.map((store) => ({ ...store, task: s.task, worker: w.workerId }))),
  );
  return h(
    'section',
    { 'data-app': a.app },
    h('h2', {}, `${a.app} (generation ${a.generation})`),
    a.topology && topology(a.topology),
    h('h3', {}, 'Workers'),
    table<Worker>(
      [
        { title: 'Worker', cell: (w) => (w.status?.console ? link(w.status.console, w.workerId) : w.workerId) },
        { title: 'Epoch', cell: (w) => w.workerEpoch, numeric: true },
        { title: 'State', cell: (w) => w.status?.state ?? h('span', { class: 'muted' }, 'no status yet'), field: 'state' },
        { title: 'Tasks', cell: (w) => w.tasks.join(', ') || '-', field: 'tasks' },
        { title: 'Standbys', cell: (w) => w.standbys.join(', ') || '-', field: 'standbys' },
        { title: 'Status taken', cell: (w) => (w.status ? new Date(w.status.at).toLocaleTimeString() : '-') },
      ],
      a.workers,
      (w) => ({ 'data-worker': w.workerId }),
    ),
    h('h3', {}, 'Tasks'),
    table<TaskRow>(
      [
        { title: 'Task', cell: (t) => t.task },
        { title: 'Worker', cell: (t) => t.owner, field: 'owner' },
        { title: 'State', cell: (t) => (t.status === null ? '-' : flag(t.status.state, t.status.state === 'running' ? 'ok' : 'info')), field: 'state' },
        { title: 'Restored', cell: (t) => restored(t.status), numeric: true, field: 'restored' },
        { title: 'Lag', cell: (t) => (t.status === null ? '-' : sum(t.status.inputs.map((i) => i.lag ?? 0))), numeric: true, field: 'lag' },
        { title: 'Standbys', cell: (t) => t.standbys.join(', ') || '-', field: 'standbys' },
      ],
      tasks,
      (t) => ({ 'data-task': t.task }),
    ),
    h('h3', {}, 'Input partitions'),
    table(
      [
        { title: 'Topic', cell: (i) => link(routeTo('topics', i.topic), i.topic) },
        { title: 'Partition', cell: (i) => i.partition, numeric: true },
        { title: 'Worker', cell: (i) => i.owner },
        { title: 'Position', cell: (i) => i.position ?? '-', numeric: true, field: 'position' },
        { title: 'End offset', cell: (i) => i.endOffset, numeric: true, field: 'end-offset' },
        { title: 'Lag', cell: (i) => (i.lag === null ? '-' : i.lag > 0 ? flag(String(i.lag), 'bad') : '0'), numeric: true, field: 'lag' },
      ],
      inputs,
      (i) => ({ 'data-input': `${i.topic}/${i.partition}` }),
    ),
    ...(standbys.length === 0
      ? []
      : [
          h('h3', {}, 'Standbys'),
          table(
            [
              { title: 'Task', cell: (s) => s.task, numeric: true },
              { title: 'Worker', cell: (s) => s.worker },
              { title: 'Store', cell: (s) => s.store },
              { title: 'Position', cell: (s) => s.position ?? '-', numeric: true, field: 'position' },
              { title: 'Changelog end', cell: (s) => s.endOffset, numeric: true, field: 'end-offset' },
              { title: 'Lag', cell: (s) => s.lag ?? '-', numeric: true, field: 'lag' },
            ],
            standbys,
            (s) => ({ 'data-standby': `${s.worker}/${s.task}/${s.store}` }),
          ),
        ]),
  );
}

/** Records restored of the task's stores, of at most how many (done once every store is). */
function restored(status: TaskStatusView | null): Node | string {
  if (status === null || status.restores.length === 0) return '-';
  const text = `${sum(status.restores.map((r) => r.restored))} / ${sum(status.restores.map((r) => r.total))}`;
  return status.restores.every((r) => r.done) ? text : h('span', {}, text, ' ', flag('restoring', 'info'));
}

/** A controller's task name is its first input topic and partition ("lines-3"); a worker's status numbers tasks by partition. */
function taskNumber(task: string): number {
  return Number(/-(\d+)$/.exec(task)?.[1] ?? -1);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The topology as toSvg() drew it, with describe()'s text and the Mermaid source (for any Mermaid renderer) below. */
function topology(t: TopologyView): HTMLElement {
  return h(
    'div',
    { class: 'topology' },
    h('div', { class: 'drawing', 'data-topology': 'drawing' }, drawing(t.svg)),
    h('details', {}, h('summary', {}, 'As text'), h('pre', { class: 'schema', 'data-topology': 'text' }, t.text)),
    h('details', {}, h('summary', {}, 'Mermaid flowchart'), h('pre', { class: 'schema', 'data-topology': 'mermaid' }, t.mermaid)),
  );
}

/**
 * The server's SVG as a DOM node. Parsed as XML, not assigned to innerHTML: a
 * parsed document's scripts never run, and toSvg() writes none and escapes
 * every name, so a topic called `<script>` stays text.
 */
function drawing(svg: string): Node {
  const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = parsed.documentElement;
  if (root.nodeName !== 'svg') return h('p', { class: 'muted' }, 'The topology could not be drawn.');
  return document.importNode(root, true);
}

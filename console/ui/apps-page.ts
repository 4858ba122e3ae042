/// <reference lib="dom" />
// Stream apps: the applications `rill worker`s run on a Rill cluster, each
// with its workers (the tasks and standbys each holds), and the topologies of
// the pipelines the console was given.
import type { AppView, TopologyView } from '../model';
import { getJson } from './api';
import { cards, h, table } from './dom';
import type { Page } from './page';

export function appsPage(): Page {
  return {
    title: 'Stream apps',
    async live() {
      const apps = await getJson<AppView[]>('/api/apps');
      return h(
        'div',
        {},
        cards([
          { label: 'Applications', value: apps.length, name: 'apps' },
          { label: 'Workers', value: apps.reduce((n, a) => n + a.workers.length, 0), name: 'workers' },
          { label: 'Tasks', value: apps.reduce((n, a) => n + a.tasks.length, 0), name: 'tasks' },
        ]),
        ...(apps.length === 0 ? [h('p', { class: 'muted' }, 'No application: no worker runs one, and no --pipeline was given.')] : apps.map(appSection)),
      );
    },
  };
}

function appSection(a: AppView): HTMLElement {
  return h(
    'section',
    { 'data-app': a.app },
    h('h2', {}, a.generation >= 0 ? `${a.app} (generation ${a.generation})` : a.app),
    a.topology && topology(a.topology),
    a.generation < 0
      ? h('p', { class: 'muted' }, 'No worker runs it.')
      : table(
          [
            { title: 'Worker', cell: (w) => w.workerId },
            { title: 'Epoch', cell: (w) => w.workerEpoch, numeric: true },
            { title: 'Tasks', cell: (w) => w.tasks.join(', ') || '-', field: 'tasks' },
            { title: 'Standbys', cell: (w) => w.standbys.join(', ') || '-', field: 'standbys' },
          ],
          a.workers,
          (w) => ({ 'data-worker': w.workerId }),
        ),
  );
}

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

/// <reference lib="dom" />
// Stream apps: the applications `rill worker`s run on a Rill cluster, each
// with its workers (the tasks and standbys each holds) and its tasks' owners.
import type { AppView } from '../model';
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
        ...(apps.length === 0 ? [h('p', { class: 'muted' }, 'No application has workers in this cluster.')] : apps.map(appSection)),
      );
    },
  };
}

function appSection(a: AppView): HTMLElement {
  return h(
    'section',
    { 'data-app': a.app },
    h('h2', {}, `${a.app} (generation ${a.generation})`),
    table(
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

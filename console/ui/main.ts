/// <reference lib="dom" />
// The console in the browser: a hash route per page (#/cluster, #/topics,
// #/topics/NAME, #/groups, #/groups/ID, #/schemas, #/apps), each page's live part
// polled from the server at the interval it announces.
import type { ConsoleInfo } from '../model';
import { getJson } from './api';
import { appsPage } from './apps-page';
import { clusterPage } from './cluster-page';
import { h } from './dom';
import { groupPage, groupsPage } from './groups-page';
import type { Page } from './page';
import { schemasPage } from './schemas-page';
import { topicPage, topicsPage } from './topics-page';

function pageOf(hash: string, info: ConsoleInfo): { nav: string; page: Page } {
  const [, section, name] = /^#\/([^/]*)(?:\/(.*))?$/.exec(hash) ?? [];
  const decoded = name === undefined ? undefined : decodeURIComponent(name);
  if (section === 'topics') return { nav: 'topics', page: decoded === undefined ? topicsPage() : topicPage(decoded) };
  if (section === 'groups') return { nav: 'groups', page: decoded === undefined ? groupsPage() : groupPage(decoded) };
  if (section === 'schemas') return { nav: 'schemas', page: schemasPage() };
  if (section === 'apps') return { nav: 'apps', page: appsPage() };
  return { nav: 'cluster', page: clusterPage(info) };
}

async function start(): Promise<void> {
  const main = document.getElementById('main')!;
  const status = document.getElementById('status')!;
  const info = await getJson<ConsoleInfo>('/api/info');
  if (info.registry === null) document.querySelector('a[data-page="schemas"]')?.remove();
  if (!info.apps) document.querySelector('a[data-page="apps"]')?.remove();
  let shown = 0;
  let timer: number | undefined;

  const open = () => {
    const opened = ++shown;
    window.clearTimeout(timer);
    const { nav, page } = pageOf(location.hash, info);
    for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.getAttribute('data-page') === nav);
    const live = h('div', { class: 'live' });
    main.replaceChildren(h('h1', {}, page.title), live, ...(page.fixed ? [page.fixed] : []));
    // Which route the page now shows (a test waits for its route's content, not the previous page's).
    main.setAttribute('data-route', location.hash || '#/cluster');
    const refresh = async () => {
      try {
        const drawn = await page.live();
        if (opened !== shown) return;
        live.replaceChildren(drawn);
        status.className = '';
        status.textContent = `${info.bootstrap} · updated ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        if (opened !== shown) return;
        status.className = 'error';
        status.textContent = `${info.bootstrap} · ${(e as Error).message}`;
        if (live.childElementCount === 0) live.replaceChildren(h('p', { class: 'error', 'data-error': 'page' }, (e as Error).message));
      }
      if (opened === shown) timer = window.setTimeout(refresh, info.refreshMs);
    };
    void refresh();
  };
  window.addEventListener('hashchange', open);
  open();
}

start().catch((e: Error) => {
  document.getElementById('main')!.replaceChildren(h('p', { class: 'error' }, `The console cannot start: ${e.message}`));
});

/// <reference lib="dom" />
// The console in the browser: a hash route per page (#/cluster, #/topics,
// #/topics/NAME, #/groups, #/groups/ID, #/schemas, #/apps), each page's live part
// kept current by a server-sent-events stream, or polled when there is none (live.ts).
import type { ConsoleInfo } from '../model';
import { getJson } from './api';
import { appsPage } from './apps-page';
import { clusterPage } from './cluster-page';
import { h } from './dom';
import { groupPage, groupsPage } from './groups-page';
import { follow, type Following } from './live';
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
  let following: Following | undefined;

  const open = () => {
    following?.stop();
    const { nav, page } = pageOf(location.hash, info);
    for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.getAttribute('data-page') === nav);
    const live = h('div', { class: 'live' });
    main.replaceChildren(h('h1', {}, page.title), live, ...(page.fixed ? [page.fixed] : []));
    // Which route the page now shows (a test waits for its route's content, not the previous page's).
    main.setAttribute('data-route', location.hash || '#/cluster');
    let mode = '';
    const mine = follow(
      page.sources,
      info.refreshMs,
      {
        answers: (answers) => {
          if (following !== mine) return;
          try {
            live.replaceChildren(page.draw(answers));
          } catch (e) {
            return showError((e as Error).message);
          }
          status.className = '';
          status.textContent = `${info.bootstrap} · ${mode === 'sse' ? 'live' : 'polled'}, updated ${new Date().toLocaleTimeString()}`;
        },
        failed: (message) => {
          if (following === mine) showError(message);
        },
      },
      (m) => {
        mode = m;
        // How the page is kept current (a test checks the stream is used).
        main.setAttribute('data-live', m);
      },
    );
    following = mine;
    const showError = (message: string) => {
      status.className = 'error';
      status.textContent = `${info.bootstrap} · ${message}`;
      if (live.childElementCount === 0) live.replaceChildren(h('p', { class: 'error', 'data-error': 'page' }, message));
    };
  };
  window.addEventListener('hashchange', open);
  open();
}

start().catch((e: Error) => {
  document.getElementById('main')!.replaceChildren(h('p', { class: 'error' }, `The console cannot start: ${e.message}`));
});

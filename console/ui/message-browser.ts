/// <reference lib="dom" />
// The message browser of a topic: one partition read from its end, its start,
// an offset or a timestamp; keys and values as the server rendered them (Avro
// decoded through the registry, JSON, text or hex), shown pretty or raw.
import type { MessagesView, RenderedBytes } from '../model';
import { getJson } from './api';
import { flag, h, table } from './dom';

export function messageBrowser(topic: string): HTMLElement {
  const partition = h('input', { name: 'partition', type: 'number', min: '0', value: '0', size: '4' });
  const seek = h(
    'select',
    { name: 'seek' },
    h('option', { value: 'end' }, 'latest'),
    h('option', { value: 'beginning' }, 'from the beginning'),
    h('option', { value: 'offset' }, 'from offset'),
    h('option', { value: 'timestamp' }, 'from timestamp'),
  );
  const at = h('input', { name: 'at', placeholder: 'offset, or epoch ms / ISO date', size: '26' });
  const limit = h('input', { name: 'limit', type: 'number', min: '1', max: '500', value: '50', size: '4' });
  const view = h('select', { name: 'view' }, h('option', { value: 'pretty' }, 'JSON (pretty)'), h('option', { value: 'raw' }, 'string (raw)'));
  const results = h('div', { class: 'messages' });
  const form = h(
    'form',
    { class: 'seek' },
    h('label', {}, 'Partition', partition),
    h('label', {}, 'Start', seek),
    h('label', {}, 'Offset / timestamp', at),
    h('label', {}, 'Limit', limit),
    h('label', {}, 'View', view),
    h('button', { type: 'submit' }, 'Read'),
  );
  let last: MessagesView | undefined;
  const show = () => {
    if (last !== undefined) results.replaceChildren(drawMessages(last, view.value === 'pretty'));
  };
  // Only the latest read is shown: one asked for earlier that answers later is dropped.
  let reads = 0;
  const read = async () => {
    const mine = ++reads;
    const query = new URLSearchParams({ partition: partition.value || '0', limit: limit.value || '50' });
    if (seek.value === 'offset') query.set('offset', at.value.trim());
    else if (seek.value === 'timestamp') query.set('timestamp', at.value.trim());
    else query.set('from', seek.value);
    results.replaceChildren(h('p', { class: 'muted' }, 'Reading…'));
    try {
      const answer = await getJson<MessagesView>(`/api/topics/${encodeURIComponent(topic)}/messages?${query}`);
      if (mine !== reads) return;
      last = answer;
      show();
    } catch (e) {
      if (mine !== reads) return;
      last = undefined;
      results.replaceChildren(h('p', { class: 'error', 'data-error': 'messages' }, (e as Error).message));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void read();
  });
  view.addEventListener('change', show);
  void read();
  return h('section', {}, h('h2', {}, 'Messages'), form, results);
}

function drawMessages(m: MessagesView, pretty: boolean): HTMLElement {
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted', 'data-read': `${m.partition}/${m.from}` },
      `Partition ${m.partition}: offsets ${m.startOffset} to ${m.endOffset}; ${m.messages.length} record(s) from offset ${m.from}.`,
    ),
    table(
      [
        { title: 'Offset', cell: (r) => r.offset, numeric: true, field: 'offset' },
        { title: 'Timestamp', cell: (r) => new Date(r.timestamp).toISOString(), field: 'timestamp' },
        { title: 'Key', cell: (r) => bytes(r.key, pretty), field: 'key' },
        { title: 'Value', cell: (r) => bytes(r.value, pretty), field: 'value' },
      ],
      m.messages,
      (r) => ({ 'data-offset': String(r.offset) }),
    ),
  );
}

function bytes(b: RenderedBytes, pretty: boolean): HTMLElement {
  if (b.text === null) return h('span', { class: 'muted' }, 'null');
  const structured = b.view === 'json' || b.view === 'avro';
  const text = pretty && structured ? JSON.stringify(JSON.parse(b.text), null, 2) : b.text;
  const badge = b.view === 'avro' ? `avro #${b.schemaId}` : b.view;
  return h('div', { 'data-view': b.view }, flag(badge, 'info'), h('pre', {}, text));
}

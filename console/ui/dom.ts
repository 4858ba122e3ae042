/// <reference lib="dom" />
// Small DOM helpers: elements from tag, attributes and children; tables; cards.

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`class`, `data-*`, `href`, ...) and children (text is escaped by the DOM). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A column of a table: its header, how a row fills its cell, whether it holds numbers, and the cell's data-field name for tests. */
export interface Column<T> {
  readonly title: string;
  readonly cell: (row: T) => Child;
  readonly numeric?: boolean;
  readonly field?: string;
}

export function table<T>(columns: readonly Column<T>[], rows: readonly T[], rowAttrs: (row: T) => Record<string, string> = () => ({})): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'None.');
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', c.numeric ? { class: 'num' } : {}, c.title)))),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h(
          'tr',
          rowAttrs(row),
          ...columns.map((c) => h('td', { ...(c.numeric ? { class: 'num' } : {}), ...(c.field ? { 'data-field': c.field } : {}) }, c.cell(row))),
        ),
      ),
    ),
  );
}

/** A row of figures, each with a label (data-card names it for tests). */
export function cards(figures: readonly { readonly label: string; readonly value: Child; readonly name: string }[]): HTMLElement {
  return h(
    'div',
    { class: 'cards' },
    ...figures.map((f) => h('div', { class: 'card', 'data-card': f.name }, h('div', { class: 'label' }, f.label), h('div', { class: 'value' }, f.value))),
  );
}

export function flag(text: string, kind: 'bad' | 'ok' | 'info'): HTMLElement {
  return h('span', { class: `flag ${kind}` }, text);
}

export function link(href: string, text: string): HTMLElement {
  return h('a', { href }, text);
}

/** A hash route's link to a name (topic, group), encoded. */
export function routeTo(page: string, name: string): string {
  return `#/${page}/${encodeURIComponent(name)}`;
}

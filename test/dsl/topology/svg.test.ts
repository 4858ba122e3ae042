// toSvg(): read back through a strict little XML parser written here, every
// example's picture is well-formed, holds each node of the Mermaid picture once
// with the same label, draws each Mermaid edge from its node's box to the
// other's, and no two node boxes or sub-topology boxes overlap. Hostile names
// come back as they went in. docs/topology-wordcount.svg is what the code draws.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringSerde } from '../../../core/schema';
import { StreamsBuilder, count, mapValues, to, type Topology } from '../../../dsl';
import { ordersTopology } from '../../../examples/orders/topology';
import { pageViewsTopology } from '../../../examples/page-views/topology';
import { viewsPerPageTopology } from '../../../examples/redis-materialize/topology';
import { sessionsTopology } from '../../../examples/sessions/topology';
import { wordCountTopology } from '../../../examples/wordcount/topology';

interface Element {
  name: string;
  attrs: Map<string, string>;
  children: Element[];
  /** Character data directly inside, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string): string {
  // A bare & or < in text or an attribute is not XML.
  expect(raw).not.toMatch(/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(Number.parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e],
  );
}

/** Strict enough for this test: one root, balanced tags, quoted unique attributes, only XML's own entities, no forbidden characters. */
function parseXml(text: string): Element {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters, which is what is checked
  expect(text).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  const root: Element = { name: '#document', attrs: new Map(), children: [], text: '' };
  const open: Element[] = [root];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const end = lt < 0 ? text.length : lt;
    open[open.length - 1].text += decode(text.slice(at, end));
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (m === null) throw new Error(`not a tag at ${lt}: ${text.slice(lt, lt + 40)}`);
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      const top = open.pop()!;
      if (top.name !== name || attrText || selfClosing) throw new Error(`</${name}> closes <${top.name}>`);
    } else {
      const attrs = new Map<string, string>();
      for (const a of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (attrs.has(a[1])) throw new Error(`attribute ${a[1]} twice on <${name}>`);
        attrs.set(a[1], decode(a[2]));
      }
      const element: Element = { name, attrs, children: [], text: '' };
      open[open.length - 1].children.push(element);
      if (!selfClosing) open.push(element);
    }
    at = tag.lastIndex;
  }
  if (open.length !== 1) throw new Error(`<${open[open.length - 1].name}> is never closed`);
  expect(root.text.trim()).toBe('');
  expect(root.children).toHaveLength(1);
  return root.children[0];
}

function all(e: Element, test: (e: Element) => boolean): Element[] {
  return [...(test(e) ? [e] : []), ...e.children.flatMap((c) => all(c, test))];
}

const hasClass = (name: string) => (e: Element) => (e.attrs.get('class') ?? '').split(' ').includes(name);

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const numbers = (s: string) => [...s.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));

/** The nodes and edges of the Mermaid picture: what the SVG must show. */
function mermaidGraph(t: Topology) {
  const nodes = new Map<string, string>();
  const edges: string[] = [];
  for (const line of t
    .toMermaid()
    .split('\n')
    .map((l) => l.trim())) {
    const node = /^(\w+)(?:\[\/|\[\(|\[)"(.*)"(?:\/\]|\)\]|\])$/.exec(line);
    const edge = /^(\w+) (?:-->|-\.->)(?:\|\w+\|)? (\w+)$/.exec(line);
    if (node && !line.startsWith('subgraph')) nodes.set(node[1], node[2].replace(/<br\/>/g, '\n').replace(/#quot;/g, '"'));
    if (edge) edges.push(`${edge[1]} -> ${edge[2]}`);
  }
  return { nodes, edges };
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** On the box's left or right side, within rounding (coordinates are written with one decimal). */
function onSide(p: { x: number; y: number }, b: Box): boolean {
  const near = (u: number, v: number) => Math.abs(u - v) <= 0.11;
  return (near(p.x, b.x) || near(p.x, b.x + b.width)) && p.y >= b.y - 0.11 && p.y <= b.y + b.height + 0.11;
}

function check(t: Topology): void {
  const svg = parseXml(t.toSvg());
  expect(svg.name).toBe('svg');
  expect(svg.attrs.get('xmlns')).toBe('http://www.w3.org/2000/svg');
  // Self-contained: nothing fetched, nothing run.
  expect(all(svg, (e) => ['script', 'style', 'image', 'foreignObject', 'link'].includes(e.name))).toEqual([]);
  expect(all(svg, (e) => [...e.attrs.keys()].some((k) => k === 'href' || k.endsWith(':href') || k.startsWith('on')))).toEqual([]);

  const expected = mermaidGraph(t);
  const boxes = new Map<string, Box>();
  const labels = new Map<string, string>();
  for (const g of all(svg, hasClass('node'))) {
    const id = g.attrs.get('id')!;
    expect(boxes.has(id)).toBe(false);
    const [x, y, width, height] = numbers(g.attrs.get('data-box')!);
    const box = { x, y, width, height };
    boxes.set(id, box);
    labels.set(
      id,
      all(g, (e) => e.name === 'tspan')
        .map((s) => s.text)
        .join('\n'),
    );
    // The drawn outline stays inside the box the edges and overlap checks use.
    for (const shape of g.children.filter((c) => c.name !== 'text')) {
      const r = (k: string) => Number(shape.attrs.get(k));
      const coords =
        shape.name === 'rect' ? [r('x'), r('y'), r('x') + r('width'), r('y') + r('height')] : numbers(shape.attrs.get('points') ?? shape.attrs.get('d')!);
      for (let i = 0; i + 1 < coords.length; i += 2) {
        expect(coords[i]).toBeGreaterThanOrEqual(x - 0.11);
        expect(coords[i]).toBeLessThanOrEqual(x + width + 0.11);
        expect(coords[i + 1]).toBeGreaterThanOrEqual(y - 0.11);
        expect(coords[i + 1]).toBeLessThanOrEqual(y + height + 0.11);
      }
    }
  }
  expect(labels).toEqual(expected.nodes);

  const nodeBoxes = [...boxes.entries()];
  for (let i = 0; i < nodeBoxes.length; i++) {
    for (let j = i + 1; j < nodeBoxes.length; j++)
      expect({ pair: [nodeBoxes[i][0], nodeBoxes[j][0]], overlap: overlap(nodeBoxes[i][1], nodeBoxes[j][1]) }).toMatchObject({ overlap: false });
  }
  const groups = new Map(
    all(svg, hasClass('sub-topology')).map((g) => {
      const r = g.children.find((c) => c.name === 'rect')!;
      const [x, y, width, height] = ['x', 'y', 'width', 'height'].map((k) => Number(r.attrs.get(k)));
      return [g.attrs.get('id')!, { x, y, width, height }];
    }),
  );
  expect(groups.size).toBe(t.subTopologies().length);
  const groupBoxes = [...groups.values()];
  for (let i = 0; i < groupBoxes.length; i++) for (let j = i + 1; j < groupBoxes.length; j++) expect(overlap(groupBoxes[i], groupBoxes[j])).toBe(false);
  // Steps and stores inside their sub-topology's box; topics outside every box.
  for (const g of all(svg, hasClass('node'))) {
    const id = g.attrs.get('id')!;
    const box = boxes.get(id)!;
    const member = g.attrs.get('data-sub-topology');
    expect({ id, member: member !== undefined }).toEqual({ id, member: !id.startsWith('topic') });
    for (const [groupId, groupBox] of groups) {
      const inside =
        box.x >= groupBox.x && box.y >= groupBox.y && box.x + box.width <= groupBox.x + groupBox.width && box.y + box.height <= groupBox.y + groupBox.height;
      if (groupId === member) expect({ id, groupId, inside }).toEqual({ id, groupId, inside: true });
      else expect({ id, groupId, overlap: overlap(box, groupBox) }).toEqual({ id, groupId, overlap: false });
    }
  }

  const edges = all(svg, hasClass('edge'));
  expect(edges.map((e) => `${e.attrs.get('data-from')} -> ${e.attrs.get('data-to')}`)).toEqual(expected.edges);
  for (const e of edges) {
    const d = numbers(e.children.find((c) => c.name === 'path')!.attrs.get('d')!);
    const start = { x: d[0], y: d[1] };
    const end = { x: d[d.length - 2], y: d[d.length - 1] };
    expect({ edge: e.attrs.get('data-from'), start, touches: onSide(start, boxes.get(e.attrs.get('data-from')!)!) }).toMatchObject({ touches: true });
    expect({ edge: e.attrs.get('data-to'), end, touches: onSide(end, boxes.get(e.attrs.get('data-to')!)!) }).toMatchObject({ touches: true });
  }
}

test.each([
  ['wordcount', wordCountTopology],
  ['orders', ordersTopology],
  ['page views', pageViewsTopology],
  ['sessions', sessionsTopology],
  ['redis materialize', viewsPerPageTopology],
])('%s: well-formed, every node once with its label, edges from box to box, no overlaps', (_name, topology) => {
  check(topology());
});

test('sources, processors, sinks, stores and each kind of topic are told apart', () => {
  const svg = parseXml(pageViewsTopology().toSvg());
  const classOf = new Map(
    all(svg, hasClass('node')).map((g) => [
      all(g, (e) => e.name === 'tspan')
        .map((t) => t.text)
        .join(' '),
      g.attrs.get('class'),
    ]),
  );
  const kinds = (prefix: string) => [...new Set([...classOf].filter(([label]) => label.startsWith(prefix)).map(([, c]) => c))];
  expect(kinds('source-')).toEqual(['node step source']);
  expect(kinds('selectKey-')).toEqual(['node step processor']);
  // count sets late records aside in a dead-letter topic: still a processor.
  expect(kinds('count-')).toEqual(['node step processor']);
  expect(kinds('to-')).toEqual(['node step sink']);
  expect(kinds('repartition-')).toEqual(['node step sink']);
  expect(kinds('views-per-minute')).toEqual(['node store']);
  expect(kinds('topic ')).toEqual(['node topic input', 'node topic sink']);
  expect(kinds('repartition topic ')).toEqual(['node topic repartition']);
  expect(kinds('changelog topic ')).toEqual(['node topic changelog']);
  expect(kinds('dead-letter topic ')).toEqual(['node topic dead-letter']);
  // Drawn differently: a rounded rectangle, a hexagon, a cylinder.
  const shapes = new Map(all(svg, hasClass('node')).map((g) => [g.attrs.get('class')!.split(' ')[1], g.children[0].name]));
  expect(Object.fromEntries(shapes)).toEqual({ step: 'rect', topic: 'polygon', store: 'path' });
});

test('the same topology gives the same bytes', () => {
  expect(ordersTopology().toSvg()).toBe(ordersTopology().toSvg());
});

test('hostile names are escaped and come back as they went in', () => {
  const b = new StreamsBuilder('hostile');
  b.stream(`<script>alert("x")</script>&'`, { key: stringSerde(), value: stringSerde() }).pipe(
    mapValues((v) => v),
    count({ store: `st<&>"'` }),
    to('out</svg>&amp;', { key: stringSerde(), value: stringSerde() as never }),
  );
  const t = b.build();
  check(t);
  const texts = all(parseXml(t.toSvg()), (e) => e.name === 'tspan').map((s) => s.text);
  expect(texts).toEqual(expect.arrayContaining([`<script>alert("x")</script>&'`, 'out</svg>&amp;', `st<&>"'`]));
});

test('characters XML forbids (control characters, a lone surrogate) become U+FFFD and the file stays well-formed', () => {
  const b = new StreamsBuilder('control');
  b.stream('in', { key: stringSerde(), value: stringSerde() }).pipe(count({ store: 'a\u0001b\ud800c\u{1F600}' }));
  const texts = all(parseXml(b.build().toSvg()), (e) => e.name === 'tspan').map((s) => s.text);
  expect(texts).toContain('a\ufffdb\ufffdc\u{1F600}');
});

test('docs/topology-wordcount.svg is what wordcount draws today, and docs/dsl.md shows it', () => {
  const root = path.join(__dirname, '..', '..', '..');
  expect(fs.readFileSync(path.join(root, 'docs', 'topology-wordcount.svg'), 'utf8')).toBe(wordCountTopology().toSvg());
  expect(fs.readFileSync(path.join(root, 'docs', 'dsl.md'), 'utf8').includes('](topology-wordcount.svg)')).toBe(true);
});

/// <reference lib="dom" />
// A topology's Mermaid flowchart (the subset `topology.toMermaid()` writes:
// nodes as steps, topics and stores, subgraphs for sub-topologies, solid and
// dotted edges with labels) drawn as SVG in the page, without Mermaid itself:
// each node in the column of its longest path from an input, columns left to
// right, a sub-topology's nodes kept together in each column and boxed.

interface FlowNode {
  readonly id: string;
  readonly lines: readonly string[];
  readonly shape: 'step' | 'topic' | 'store';
  readonly group: number;
}

interface FlowEdge {
  readonly from: string;
  readonly to: string;
  readonly dotted: boolean;
  readonly label: string | null;
}

interface Flowchart {
  readonly nodes: readonly FlowNode[];
  readonly edges: readonly FlowEdge[];
  readonly groups: readonly string[];
}

const EDGE = /^(\w+)\s+(-->|-\.->)(?:\|([^|]*)\|)?\s+(\w+)$/;
const NODE = /^(\w+)(?:\[\/"(.*)"\/\]|\[\("(.*)"\)\]|\["(.*)"\])$/;
const SUBGRAPH = /^subgraph\s+\w+\["(.*)"\]$/;

/** The flowchart's nodes, edges and subgraphs; lines it does not know are left out. */
function parseFlowchart(text: string): Flowchart {
  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  const groups: string[] = [];
  let group = -1;
  const label = (s: string) => s.replace(/#quot;/g, '"').split('<br/>');
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const sub = SUBGRAPH.exec(line);
    if (sub) {
      group = groups.push(label(sub[1]).join(' ')) - 1;
      continue;
    }
    if (line === 'end') {
      group = -1;
      continue;
    }
    const edge = EDGE.exec(line);
    if (edge) {
      edges.push({ from: edge[1], to: edge[4], dotted: edge[2] === '-.->', label: edge[3] ?? null });
      continue;
    }
    const node = NODE.exec(line);
    if (node) {
      const shape = node[2] !== undefined ? 'topic' : node[3] !== undefined ? 'store' : 'step';
      nodes.push({ id: node[1], lines: label(node[2] ?? node[3] ?? node[4]), shape, group });
    }
  }
  return { nodes, edges, groups };
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 160;
const COLUMN_GAP = 34;
const ROW_GAP = 18;
const LINE = 14;
const PAD = 14;
/** Characters of a label line shown (the whole label is the node's tooltip). */
const LINE_CHARS = 24;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/** Longest path from a node without inputs, for every node (edges that would close a cycle are not followed). */
function columns(chart: Flowchart): Map<string, number> {
  const column = new Map(chart.nodes.map((n) => [n.id, 0]));
  // At most one pass per node: a longest path has no more edges than there are nodes.
  for (let pass = 0; pass < chart.nodes.length; pass++) {
    let moved = false;
    for (const e of chart.edges) {
      const next = (column.get(e.from) ?? 0) + 1;
      if (column.has(e.to) && next > column.get(e.to)!) {
        column.set(e.to, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return column;
}

/** The flowchart as an SVG element: one [data-node] group per node. */
export function drawFlowchart(text: string): SVGSVGElement {
  const chart = parseFlowchart(text);
  const column = columns(chart);
  const byColumn = new Map<number, FlowNode[]>();
  for (const n of chart.nodes) byColumn.set(column.get(n.id)!, [...(byColumn.get(column.get(n.id)!) ?? []), n]);
  const place = new Map<string, { x: number; y: number; h: number }>();
  let height = 0;
  for (const [c, nodes] of byColumn) {
    // A sub-topology's nodes together, the topics outside any after them.
    const ordered = [...nodes].sort((a, b) => (a.group < 0 ? 1e9 : a.group) - (b.group < 0 ? 1e9 : b.group));
    let y = PAD + 18;
    for (const n of ordered) {
      const h = 12 + LINE * n.lines.length;
      place.set(n.id, { x: PAD + c * (WIDTH + COLUMN_GAP), y, h });
      y += h + ROW_GAP;
    }
    height = Math.max(height, y);
  }
  const width = PAD * 2 + (Math.max(0, ...byColumn.keys()) + 1) * (WIDTH + COLUMN_GAP) - COLUMN_GAP;
  const root = svg('svg', { xmlns: SVG, width, height: height + PAD, viewBox: `0 0 ${width} ${height + PAD}`, class: 'flowchart' });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#5b6b7c' }),
      ),
    ),
  );
  chart.groups.forEach((label, g) => {
    const members = chart.nodes.filter((n) => n.group === g).map((n) => place.get(n.id)!);
    if (members.length === 0) return;
    const x = Math.min(...members.map((m) => m.x)) - 8;
    const y = Math.min(...members.map((m) => m.y)) - 18;
    const right = Math.max(...members.map((m) => m.x + WIDTH)) + 8;
    const bottom = Math.max(...members.map((m) => m.y + m.h)) + 8;
    root.append(
      svg('rect', { x, y, width: right - x, height: bottom - y, rx: 6, class: 'group' }),
      svg('text', { x: x + 6, y: y + 12, class: 'group-label' }, label),
    );
  });
  for (const e of chart.edges) {
    const from = place.get(e.from);
    const to = place.get(e.to);
    if (from === undefined || to === undefined) continue;
    const [x1, y1, x2, y2] = [from.x + WIDTH, from.y + from.h / 2, to.x, to.y + to.h / 2];
    root.append(
      svg('path', { d: `M${x1},${y1} C${x1 + 24},${y1} ${x2 - 24},${y2} ${x2},${y2}`, class: e.dotted ? 'edge dotted' : 'edge', 'marker-end': 'url(#arrow)' }),
    );
    if (e.label !== null) root.append(svg('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, class: 'edge-label' }, e.label));
  }
  for (const n of chart.nodes) {
    const p = place.get(n.id)!;
    const shape =
      n.shape === 'topic'
        ? svg('path', { d: `M${p.x + 8},${p.y} H${p.x + WIDTH} L${p.x + WIDTH - 8},${p.y + p.h} H${p.x} Z`, class: 'topic' })
        : svg('rect', { x: p.x, y: p.y, width: WIDTH, height: p.h, rx: n.shape === 'store' ? 12 : 3, class: n.shape });
    const lines = n.lines.map((line, i) =>
      svg(
        'text',
        { x: p.x + WIDTH / 2, y: p.y + 8 + LINE * (i + 1) - 3, class: 'node-label' },
        line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS - 1)}…` : line,
      ),
    );
    root.append(svg('g', { 'data-node': n.id }, svg('title', {}, n.lines.join('\n')), shape, ...lines));
  }
  return root;
}

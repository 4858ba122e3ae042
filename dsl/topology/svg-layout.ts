// A small layered (Sugiyama-style) layout for the topology picture, left to
// right: cycles broken by reversing DFS back edges, longest-path layering into
// columns, dummy points on long edges, a few barycenter sweeps to reduce
// crossings, then coordinates. Groups (sub-topologies) become boxes that never
// overlap: groups whose columns overlap go to different horizontal bands, and a
// node outside every group that falls in a column a box covers goes below the
// boxes of its band. Pure and deterministic: same input, same numbers.

export interface LayoutNode {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** Index of the group (box) the node belongs to; undefined: outside every box. */
  readonly group: number | undefined;
}

export interface LayoutInput {
  readonly nodes: readonly LayoutNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  readonly groupCount: number;
  /** Room kept above the drawing (a title). */
  readonly top: number;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, Box>;
  /** One box per group, by index (undefined for a group without nodes). */
  readonly groups: readonly (Box | undefined)[];
  /** Per input edge, in order: from the side of `from` to the side of `to`, through the dummy points. */
  readonly edges: readonly { readonly from: string; readonly to: string; readonly points: readonly Point[] }[];
}

/** Spacing, in pixels. COLUMN_GAP leaves room for both boxes' padding and the arrows between. */
export const SPACING = { margin: 20, columnGap: 72, rowGap: 18, bandGap: 28, boxPadX: 16, boxPadTop: 30, boxPadBottom: 14, dummyHeight: 6 };

const SWEEPS = 4;

interface Vertex {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly group: number | undefined;
  readonly dummy: boolean;
  layer: number;
  band: number;
  /** Below the band's boxes: a node outside every group in a column a box of its band covers. */
  below: boolean;
  order: number;
}

export function layeredLayout(input: LayoutInput): Layout {
  const vertices = new Map<string, Vertex>();
  for (const n of input.nodes) {
    if (vertices.has(n.id)) throw new Error(`layout: node id "${n.id}" appears twice`);
    vertices.set(n.id, { ...n, dummy: false, layer: 0, band: 0, below: false, order: 0 });
  }
  for (const e of input.edges) {
    if (!vertices.has(e.from) || !vertices.has(e.to)) throw new Error(`layout: edge ${e.from} -> ${e.to} names an unknown node`);
  }
  const reversed = backEdges(input);
  // Edges as laid out: from a lower layer to a higher one.
  const layered = input.edges.map((e, i) => (reversed.has(i) ? { from: e.to, to: e.from } : e));
  assignLayers(vertices, layered);
  assignBands(vertices, layered, input.groupCount);

  // Long edges get one dummy vertex per column crossed, so every chain link spans one column.
  const chains = layered.map((e, i) => {
    const from = vertices.get(e.from)!;
    const to = vertices.get(e.to)!;
    const chain = [from.id];
    for (let layer = from.layer + 1; layer < to.layer; layer++) {
      const id = `\u0000dummy${i}:${layer}`;
      vertices.set(id, { id, width: 0, height: SPACING.dummyHeight, group: undefined, dummy: true, layer, band: from.band, below: false, order: 0 });
      chain.push(id);
    }
    chain.push(to.id);
    return chain;
  });
  const columns = columnsOf(vertices);
  markBelow(columns, vertices);
  orderColumns(columns, chains, vertices);
  return coordinates(input, columns, vertices, chains, reversed);
}

/** Edges that close a cycle in a depth-first walk (nodes and edges in input order), by index. */
function backEdges(input: LayoutInput): Set<number> {
  const out = new Map<string, number[]>();
  input.edges.forEach((e, i) => {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(i);
  });
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<number>();
  const visit = (id: string) => {
    state.set(id, 'open');
    for (const i of out.get(id) ?? []) {
      const to = input.edges[i].to;
      const s = state.get(to);
      if (s === 'open') back.add(i);
      else if (s === undefined) visit(to);
    }
    state.set(id, 'done');
  };
  for (const n of input.nodes) if (!state.has(n.id)) visit(n.id);
  return back;
}

/** Longest path from a source: each vertex one column right of its furthest predecessor. Self-loops are ignored. */
function assignLayers(vertices: Map<string, Vertex>, edges: readonly { from: string; to: string }[]): void {
  const incoming = new Map<string, number>();
  for (const e of edges) if (e.from !== e.to) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  const ready = [...vertices.keys()].filter((id) => !incoming.has(id));
  for (let i = 0; i < ready.length; i++) {
    const v = vertices.get(ready[i])!;
    for (const e of edges) {
      if (e.from !== v.id || e.to === v.id) continue;
      const to = vertices.get(e.to)!;
      to.layer = Math.max(to.layer, v.layer + 1);
      const left = incoming.get(e.to)! - 1;
      incoming.set(e.to, left);
      if (left === 0) ready.push(e.to);
    }
  }
}

/**
 * Groups whose column ranges overlap get different bands (first band free, in
 * order of their first column). A node outside the groups joins the band of its
 * first neighbour in a group.
 */
function assignBands(vertices: Map<string, Vertex>, edges: readonly { from: string; to: string }[], groupCount: number): void {
  const range: ({ first: number; last: number } | undefined)[] = Array.from({ length: groupCount }, () => undefined);
  for (const v of vertices.values()) {
    if (v.group === undefined) continue;
    const r = range[v.group];
    range[v.group] = r ? { first: Math.min(r.first, v.layer), last: Math.max(r.last, v.layer) } : { first: v.layer, last: v.layer };
  }
  const groupBand: number[] = Array.from({ length: groupCount }, () => 0);
  const bandEnds: number[] = [];
  const byFirst = range
    .map((r, g) => ({ r, g }))
    .filter((x): x is { r: { first: number; last: number }; g: number } => x.r !== undefined)
    .sort((a, b) => a.r.first - b.r.first || a.g - b.g);
  for (const { r, g } of byFirst) {
    let band = bandEnds.findIndex((end) => end < r.first);
    if (band < 0) band = bandEnds.push(r.last) - 1;
    else bandEnds[band] = r.last;
    groupBand[g] = band;
  }
  for (const v of vertices.values()) {
    if (v.group !== undefined) {
      v.band = groupBand[v.group];
      continue;
    }
    for (const e of edges) {
      const other = e.from === v.id ? e.to : e.to === v.id ? e.from : undefined;
      const group = other === undefined ? undefined : vertices.get(other)!.group;
      if (group !== undefined) {
        v.band = groupBand[group];
        break;
      }
    }
  }
}

function columnsOf(vertices: Map<string, Vertex>): Vertex[][] {
  const columns: Vertex[][] = [];
  for (const v of vertices.values()) {
    while (columns.length <= v.layer) columns.push([]);
    columns[v.layer].push(v);
  }
  return columns;
}

function markBelow(columns: Vertex[][], vertices: Map<string, Vertex>): void {
  // A box covers every column between its first and last.
  const covered = new Set<string>();
  const spans = new Map<string, { band: number; first: number; last: number }>();
  for (const v of vertices.values()) {
    if (v.group === undefined) continue;
    const s = spans.get(String(v.group));
    spans.set(
      String(v.group),
      s ? { band: v.band, first: Math.min(s.first, v.layer), last: Math.max(s.last, v.layer) } : { band: v.band, first: v.layer, last: v.layer },
    );
  }
  for (const s of spans.values()) for (let l = s.first; l <= s.last; l++) covered.add(`${s.band}:${l}`);
  for (const column of columns) for (const v of column) v.below = v.group === undefined && covered.has(`${v.band}:${v.layer}`);
}

/** Barycenter sweeps, left to right then right to left; within a column, bands and regions stay in order. */
function orderColumns(columns: Vertex[][], chains: readonly string[][], vertices: Map<string, Vertex>): void {
  const left = new Map<string, string[]>();
  const right = new Map<string, string[]>();
  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      if (chain[i] === chain[i + 1]) continue;
      if (!right.has(chain[i])) right.set(chain[i], []);
      if (!left.has(chain[i + 1])) left.set(chain[i + 1], []);
      right.get(chain[i])!.push(chain[i + 1]);
      left.get(chain[i + 1])!.push(chain[i]);
    }
  }
  const sortColumn = (column: Vertex[], neighbours: Map<string, string[]>) => {
    const weight = new Map<string, number>();
    for (const v of column) {
      const ns = (neighbours.get(v.id) ?? []).map((id) => vertices.get(id)!.order);
      weight.set(v.id, ns.length > 0 ? ns.reduce((a, b) => a + b, 0) / ns.length : v.order);
    }
    column.sort((a, b) => a.band - b.band || Number(a.below) - Number(b.below) || weight.get(a.id)! - weight.get(b.id)! || a.order - b.order);
    column.forEach((v, i) => {
      v.order = i;
    });
  };
  for (const column of columns) sortColumn(column, new Map());
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    if (sweep % 2 === 0) for (const column of columns.slice(1)) sortColumn(column, left);
    else for (const column of columns.slice(0, -1).reverse()) sortColumn(column, right);
  }
}

function coordinates(input: LayoutInput, columns: Vertex[][], vertices: Map<string, Vertex>, chains: readonly string[][], reversed: Set<number>): Layout {
  const { margin, columnGap, rowGap, bandGap, boxPadX, boxPadTop, boxPadBottom } = SPACING;
  const columnWidth = columns.map((c) => Math.max(0, ...c.map((v) => v.width)));
  const columnX: number[] = [];
  columnWidth.reduce((x, w, i) => {
    columnX[i] = x;
    return x + w + columnGap;
  }, margin + boxPadX);

  const bands = Math.max(0, ...[...vertices.values()].map((v) => v.band)) + 1;
  const hasBox = Array.from({ length: bands }, (_, b) => [...vertices.values()].some((v) => v.band === b && v.group !== undefined));
  const stack = (vs: Vertex[]) => vs.reduce((h, v) => h + v.height, 0) + Math.max(0, vs.length - 1) * rowGap;
  const inBand = (column: Vertex[], band: number, below: boolean) => column.filter((v) => v.band === band && v.below === below);
  const position = new Map<string, Box>();
  let y = input.top + margin;
  const bandTop: number[] = [];
  const bandMain: number[] = [];
  for (let b = 0; b < bands; b++) {
    const mainInner = Math.max(0, ...columns.map((c) => stack(inBand(c, b, false))));
    const main = mainInner + (hasBox[b] ? boxPadTop + boxPadBottom : 0);
    const belowHeight = Math.max(0, ...columns.map((c) => stack(inBand(c, b, true))));
    bandTop[b] = y;
    bandMain[b] = main;
    columns.forEach((column, c) => {
      // Centred in the band's main area; those below the boxes start under them.
      const place = (vs: Vertex[], top: number) => {
        let at = top;
        for (const v of vs) {
          position.set(v.id, { x: columnX[c] + (columnWidth[c] - v.width) / 2, y: at, width: v.width, height: v.height });
          at += v.height + rowGap;
        }
      };
      const main = inBand(column, b, false);
      place(main, y + (hasBox[b] ? boxPadTop : 0) + (mainInner - stack(main)) / 2);
      place(inBand(column, b, true), y + bandMain[b] + rowGap);
    });
    y += main + (belowHeight > 0 ? rowGap + belowHeight : 0) + bandGap;
  }

  const groups: (Box | undefined)[] = Array.from({ length: input.groupCount }, () => undefined);
  for (const v of vertices.values()) {
    if (v.group === undefined) continue;
    const left = columnX[v.layer] - boxPadX;
    const right = columnX[v.layer] + columnWidth[v.layer] + boxPadX;
    const g = groups[v.group];
    const x = g ? Math.min(g.x, left) : left;
    const end = g ? Math.max(g.x + g.width, right) : right;
    groups[v.group] = { x, y: bandTop[v.band], width: end - x, height: bandMain[v.band] };
  }

  const edges = chains.map((chain, i) => {
    const points = chain.map((id, k) => {
      const box = position.get(id)!;
      const cy = box.y + box.height / 2;
      if (k === 0) return { x: box.x + box.width, y: cy };
      if (k === chain.length - 1) return { x: box.x, y: cy };
      return { x: box.x + box.width / 2, y: cy };
    });
    // A reversed edge is drawn as it really goes: from the later column back to the earlier.
    return { from: input.edges[i].from, to: input.edges[i].to, points: reversed.has(i) ? points.reverse() : points };
  });
  const nodes = new Map(input.nodes.map((n) => [n.id, position.get(n.id)!]));
  const width = columnWidth.reduce((a, w) => a + w, 0) + Math.max(0, columns.length - 1) * columnGap + 2 * (margin + boxPadX);
  return { width, height: y - bandGap + margin, nodes, groups, edges };
}

// The layered layout on its own, over many seeded random graphs (cycles,
// long edges, several groups sharing columns): node boxes never overlap,
// group boxes never overlap, a group's nodes sit inside its box and the others
// outside every box, each edge runs from a side of its first node to a side of
// its last, and the same input gives the same layout.
import { type Box, type LayoutInput, layeredLayout } from '../../../dsl/topology/svg-layout';

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomGraph(seed: number): LayoutInput {
  const next = random(seed);
  const count = 2 + Math.floor(next() * 18);
  const groupCount = Math.floor(next() * 4);
  const nodes = Array.from({ length: count }, (_, i) => ({
    id: `n${i}`,
    width: 20 + Math.floor(next() * 200),
    height: 20 + Math.floor(next() * 40),
    group: groupCount > 0 && next() < 0.7 ? Math.floor(next() * groupCount) : undefined,
  }));
  const edges = Array.from({ length: Math.floor(next() * count * 2) }, () => {
    const from = Math.floor(next() * count);
    // Mostly forward, sometimes back (a cycle); never a node to itself.
    let to = next() < 0.8 ? from + 1 + Math.floor(next() * (count - from)) : Math.floor(next() * count);
    if (to >= count || to === from) to = (from + 1) % count;
    return { from: `n${from}`, to: `n${to}` };
  });
  return { nodes, edges, groupCount, top: 24 };
}

const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, b: Box) => a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
const onSide = (p: { x: number; y: number }, b: Box) => (p.x === b.x || p.x === b.x + b.width) && p.y >= b.y && p.y <= b.y + b.height;

test.each(Array.from({ length: 120 }, (_, i) => i))('seed %i: no overlaps, members inside their box, edges from side to side', (seed) => {
  const input = randomGraph(seed);
  const layout = layeredLayout(input);
  const boxes = input.nodes.map((n) => ({ node: n, box: layout.nodes.get(n.id)! }));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++)
      expect({ seed, a: boxes[i].node.id, b: boxes[j].node.id, overlap: overlap(boxes[i].box, boxes[j].box) }).toMatchObject({ overlap: false });
  }
  const groups = layout.groups.map((g, i) => ({ g, i })).filter((x): x is { g: Box; i: number } => x.g !== undefined);
  expect(groups.map((x) => x.i)).toEqual([...new Set(input.nodes.map((n) => n.group).filter((g) => g !== undefined))].sort((a, b) => a - b));
  for (let i = 0; i < groups.length; i++) for (let j = i + 1; j < groups.length; j++) expect(overlap(groups[i].g, groups[j].g)).toBe(false);
  for (const { node, box } of boxes) {
    for (const { g, i } of groups) {
      if (node.group === i) expect({ seed, id: node.id, inside: inside(box, g) }).toMatchObject({ inside: true });
      else expect({ seed, id: node.id, group: i, overlap: overlap(box, g) }).toMatchObject({ overlap: false });
    }
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(input.top);
    expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
    expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
  }
  expect(layout.edges.map((e) => [e.from, e.to])).toEqual(input.edges.map((e) => [e.from, e.to]));
  for (const e of layout.edges) {
    expect(onSide(e.points[0], layout.nodes.get(e.from)!)).toBe(true);
    expect(onSide(e.points[e.points.length - 1], layout.nodes.get(e.to)!)).toBe(true);
  }
  expect(layeredLayout(input)).toEqual(layout);
});

test('an edge naming an unknown node, or a node id twice, is refused with the name', () => {
  expect(() => layeredLayout({ nodes: [{ id: 'a', width: 1, height: 1, group: undefined }], edges: [{ from: 'a', to: 'b' }], groupCount: 0, top: 0 })).toThrow(
    'layout: edge a -> b names an unknown node',
  );
  const twice = { id: 'a', width: 1, height: 1, group: undefined };
  expect(() => layeredLayout({ nodes: [twice, twice], edges: [], groupCount: 0, top: 0 })).toThrow('layout: node id "a" appears twice');
});

// toMermaid() and toDot() draw the same graph: read back from each text, the
// wordcount and orders (joins) topologies have every sub-topology, topic and
// store, and the edges between them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ordersTopology } from '../../../examples/orders/topology';
import { wordCountTopology } from '../../../examples/wordcount/topology';
import type { Topology } from '../../../dsl';

interface Drawn {
  /** Node id -> its label (line breaks as \n) and the sub-topology box it is in (undefined: outside). */
  nodes: Map<string, { label: string; box: string | undefined }>;
  edges: { from: string; to: string; label: string | undefined; dashed: boolean }[];
}

function readMermaid(text: string): Drawn {
  const lines = text.split('\n');
  expect(lines[0]).toBe('flowchart LR');
  const drawn: Drawn = { nodes: new Map(), edges: [] };
  let box: string | undefined;
  for (const line of lines.slice(1).map((l) => l.trim())) {
    const sub = /^subgraph \w+\["(.+)"\]$/.exec(line);
    const node = /^(\w+)(?:\[\/|\[\(|\[)"(.*)"(?:\/\]|\)\]|\])$/.exec(line);
    const edge = /^(\w+) (-->|-\.->)(?:\|(\w+)\|)? (\w+)$/.exec(line);
    if (sub) box = sub[1];
    else if (line === 'end') box = undefined;
    else if (node) drawn.nodes.set(node[1], { label: node[2].replace(/<br\/>/g, '\n').replace(/#quot;/g, '"'), box });
    else if (edge) drawn.edges.push({ from: edge[1], to: edge[4], label: edge[3], dashed: edge[2] === '-.->' });
    else expect(line).toMatch(/^%%/);
  }
  return drawn;
}

function readDot(text: string): Drawn {
  const drawn: Drawn = { nodes: new Map(), edges: [] };
  let box: string | undefined;
  let boxLabelNext = false;
  for (const line of text.split('\n').map((l) => l.trim())) {
    const node = /^(\w+) \[label="((?:[^"\\]|\\.)*)", shape=\w+\];$/.exec(line);
    const edge = /^(\w+) -> (\w+)(?: \[(.*)\])?;$/.exec(line);
    if (/^subgraph cluster_\d+ \{$/.test(line)) boxLabelNext = true;
    else if (boxLabelNext) {
      box = /^label="(.*)";$/.exec(line)![1];
      boxLabelNext = false;
    } else if (line === '}') box = undefined;
    else if (node) drawn.nodes.set(node[1], { label: node[2].replace(/\\n/g, '\n').replace(/\\"/g, '"'), box });
    else if (edge)
      drawn.edges.push({ from: edge[1], to: edge[2], label: /label="(\w+)"/.exec(edge[3] ?? '')?.[1], dashed: (edge[3] ?? '').includes('dashed') });
  }
  return drawn;
}

/** The graph in names: each node by its label's last line (a topic's or store's name, a step's name). */
function named(d: Drawn) {
  // A step's name is its label's first line (the detail follows); a topic's is the last (its kind comes first).
  const stepName = (id: string) => {
    const lines = d.nodes.get(id)!.label.split('\n');
    return id.startsWith('topic') ? lines[lines.length - 1] : lines[0];
  };
  return {
    boxes: [...new Set([...d.nodes.values()].map((n) => n.box).filter((b) => b !== undefined))],
    /** The box of the step or store of that name. */
    boxOf: (name: string) => [...d.nodes].find(([id]) => !id.startsWith('topic') && stepName(id) === name)?.[1].box,
    topics: [...d.nodes].filter(([id]) => id.startsWith('topic')).map(([, n]) => n.label),
    stores: [...d.nodes].filter(([id]) => id.startsWith('store')).map(([, n]) => n.label),
    edges: d.edges.map((e) => `${stepName(e.from)} ${e.dashed ? '-.->' : '-->'}${e.label ? ` ${e.label}` : ''} ${stepName(e.to)}`),
  };
}

const drawings: [string, (t: Topology) => Drawn][] = [
  ['mermaid', (t) => readMermaid(t.toMermaid())],
  ['dot', (t) => readDot(t.toDot())],
];

describe.each(drawings)('%s', (_format, draw) => {
  test('wordcount: two sub-topologies joined by the repartition topic, the store and its changelog', () => {
    const g = named(draw(wordCountTopology()));
    expect(g.boxes).toEqual(['Sub-topology 0', 'Sub-topology 1']);
    expect(g.topics.sort()).toEqual(
      [
        'changelog topic\nwordcount-word-counts-changelog',
        'repartition topic\nwordcount-word-counts-repartition',
        'topic\ntext-lines',
        'topic\nword-counts',
      ].sort(),
    );
    expect(g.stores).toEqual(['word-counts']);
    expect(g.boxOf('word-counts')).toBe('Sub-topology 1');
    expect(g.boxOf('flatMapValues-0000000001')).toBe('Sub-topology 0');
    expect(g.boxOf('count-0000000005')).toBe('Sub-topology 1');
    expect(g.edges.sort()).toEqual(
      [
        'text-lines --> source-0000000000',
        'source-0000000000 --> flatMapValues-0000000001',
        'flatMapValues-0000000001 --> selectKey-0000000002',
        'selectKey-0000000002 --> repartition-0000000003',
        'repartition-0000000003 --> wordcount-word-counts-repartition',
        'wordcount-word-counts-repartition --> source-0000000004',
        'source-0000000004 --> count-0000000005',
        'count-0000000005 -.-> store word-counts',
        'count-0000000005 --> to-0000000006',
        'to-0000000006 --> word-counts',
        'word-counts -.-> changelog wordcount-word-counts-changelog',
      ].sort(),
    );
  });

  test('orders: the stream-table join reads the table, the windowed join both streams, each store has its changelog', () => {
    const g = named(draw(ordersTopology()));
    expect(g.boxes).toHaveLength(2);
    expect(g.topics).toEqual(
      expect.arrayContaining([
        'table topic\ncustomers',
        'topic\norders',
        'topic\npayments',
        'repartition topic\norders-join-0-repartition',
        'topic\norders-enriched',
        'topic\norders-paid',
        'changelog topic\norders-orders-awaiting-payment-changelog',
        'changelog topic\norders-payments-awaiting-order-changelog',
      ]),
    );
    expect(g.stores.sort()).toEqual(['customers', 'orders-awaiting-payment', 'orders-awaiting-payment-stream-time', 'payments-awaiting-order']);
    // The table is read by the join in its own sub-topology; the left join reads the payments stream.
    expect(g.edges).toContain('toTable-0000000001 -.-> reads join-0000000007');
    expect(g.edges).toContain('source-0000000003 -.-> reads leftJoin-0000000009');
    expect(g.boxOf('join-0000000007')).toBe(g.boxOf('customers'));
    expect(g.boxOf('leftJoin-0000000009')).toBe(g.boxOf('orders-awaiting-payment'));
    expect(g.boxOf('join-0000000007')).not.toBe(g.boxOf('leftJoin-0000000009'));
    // A table's changelog is its source topic.
    expect(g.edges).toContain('customers -.-> changelog customers');
    expect(g.edges).toContain('orders-awaiting-payment -.-> changelog orders-orders-awaiting-payment-changelog');
    expect(g.edges).toContain('repartition-0000000005 --> orders-join-0-repartition');
    expect(g.edges).toContain('orders-join-0-repartition --> source-0000000006');
  });
});

test('the diagram in README.md and docs/dsl.md is what wordcount draws today', () => {
  const drawn = wordCountTopology().toMermaid();
  for (const doc of ['README.md', 'docs/dsl.md']) {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', doc), 'utf8');
    expect({ doc, block: /```mermaid\n([\s\S]*?)\n```/.exec(text)?.[1] }).toEqual({ doc, block: drawn });
  }
});

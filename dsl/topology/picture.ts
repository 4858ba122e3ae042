// The topology as a picture: one neutral graph (sub-topologies as groups of
// sources and processors, topics and stores as nodes of their own, edges for
// data flow, operator inputs, store access and changelogs), written out as
// Mermaid (what GitHub and most docs render) or Graphviz DOT; svg-render.ts
// draws the same graph as SVG.
import type { TopologyNode } from './node';

/** What a picture needs of a Topology (which draws itself with these functions). */
export interface Drawable {
  readonly applicationId: string;
  readonly sources: ReadonlyMap<string, { readonly topic: string; readonly role: 'stream' | 'table' | 'repartition' }>;
  readonly stores: readonly { readonly name: string; readonly changelogTopic: string | undefined }[];
  subTopologies(): TopologyNode[][];
}

export type TopicKind = 'input' | 'table' | 'repartition' | 'sink' | 'dead-letter' | 'changelog';

export interface PictureNode {
  readonly id: string;
  readonly label: string;
  readonly shape: 'step' | 'topic' | 'store';
  /** Steps only: a source reads a topic, a sink writes one, a processor does neither. */
  readonly role?: 'source' | 'processor' | 'sink';
}

export interface PictureEdge {
  readonly from: string;
  readonly to: string;
  /** 'flow': records; 'reads': another operator's stream or table; 'store' and 'changelog': state. */
  readonly kind: 'flow' | 'reads' | 'store' | 'changelog';
}

export interface TopologyPicture {
  readonly title: string;
  readonly subTopologies: readonly { readonly label: string; readonly nodes: readonly PictureNode[] }[];
  /** Topics and stores outside the sub-topologies' boxes are topics; stores sit in the box of the first step using them. */
  readonly topics: readonly (PictureNode & { readonly kind: TopicKind })[];
  readonly edges: readonly PictureEdge[];
}

export const EDGE_LABEL: Record<PictureEdge['kind'], string | undefined> = { flow: undefined, reads: 'reads', store: 'store', changelog: 'changelog' };

/** The picture's graph, from the topology's nodes, sources, stores and sinks. */
export function topologyPicture(topology: Drawable): TopologyPicture {
  const topics = new Map<string, PictureNode & { kind: TopicKind }>();
  const topicId = (name: string, kind: TopicKind): string => {
    const known = topics.get(name);
    if (known) return known.id;
    const node = { id: `topic${topics.size}`, label: name, shape: 'topic' as const, kind };
    topics.set(name, node);
    return node.id;
  };
  const stepId = (n: TopologyNode) => `node${n.id}`;
  const storeId = new Map(topology.stores.map((s, i) => [s.name, `store${i}`]));
  const placed = new Set<string>();
  const edges: PictureEdge[] = [];

  // Input topics first, so each keeps its role even when a sink writes to it too.
  for (const s of topology.sources.values()) topicId(s.topic, s.role === 'stream' ? 'input' : s.role);
  const subTopologies = topology.subTopologies().map((nodes, i) => {
    const members: PictureNode[] = [];
    for (const n of nodes) {
      members.push({ id: stepId(n), label: stepLabel(n), shape: 'step', role: stepRole(n) });
      if (n.kind === 'source') edges.push({ from: topicId(n.topic!, 'input'), to: stepId(n), kind: 'flow' });
      if (n.parent) edges.push({ from: stepId(n.parent), to: stepId(n), kind: 'flow' });
      for (const input of n.spec?.inputs ?? []) edges.push({ from: stepId(input.node as TopologyNode), to: stepId(n), kind: 'reads' });
      for (const sink of n.spec?.sinks ?? []) edges.push({ from: stepId(n), to: topicId(sink.topic, sink.role), kind: 'flow' });
      for (const store of n.spec?.stores ?? []) {
        const id = storeId.get(store.name!)!;
        if (!placed.has(id)) {
          placed.add(id);
          members.push({ id, label: store.name!, shape: 'store' });
        }
        edges.push({ from: stepId(n), to: id, kind: 'store' });
      }
    }
    return { label: `Sub-topology ${i}`, nodes: members };
  });
  for (const s of topology.stores) {
    if (s.changelogTopic !== undefined) edges.push({ from: storeId.get(s.name)!, to: topicId(s.changelogTopic, 'changelog'), kind: 'changelog' });
  }
  return { title: `Topology of application "${topology.applicationId}"`, subTopologies, topics: [...topics.values()], edges };
}

function stepRole(n: TopologyNode): PictureNode['role'] {
  if (n.kind === 'source') return 'source';
  // Dead letters aside: an operator that sets bad records aside still processes.
  return (n.spec?.sinks ?? []).some((s) => s.role !== 'dead-letter') ? 'sink' : 'processor';
}

function stepLabel(n: TopologyNode): string {
  if (n.kind === 'source') return `${n.name}`;
  return n.spec?.detail ? `${n.name}\n${n.spec.detail}` : n.name;
}

const TOPIC_CAPTION: Record<TopicKind, string> = {
  input: 'topic',
  table: 'table topic',
  repartition: 'repartition topic',
  sink: 'topic',
  'dead-letter': 'dead-letter topic',
  changelog: 'changelog topic',
};

export function topicLabel(t: PictureNode & { kind: TopicKind }): string {
  return `${TOPIC_CAPTION[t.kind]}\n${t.label}`;
}

/** Mermaid flowchart text: `flowchart LR`, one subgraph per sub-topology. */
export function toMermaid(topology: Drawable): string {
  const p = topologyPicture(topology);
  // Mermaid labels are quoted strings: a quote is written as an entity, a line break as <br/>.
  const text = (s: string) => `"${s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`;
  const shape = (n: PictureNode, label = n.label) =>
    n.shape === 'store' ? `${n.id}[(${text(label)})]` : n.shape === 'topic' ? `${n.id}[/${text(label)}/]` : `${n.id}[${text(label)}]`;
  const lines = ['flowchart LR', `  %% ${p.title.replace(/\n/g, ' ')}`];
  for (const t of p.topics) lines.push(`  ${shape(t, topicLabel(t))}`);
  p.subTopologies.forEach((s, i) => {
    lines.push(`  subgraph sub${i}[${text(s.label)}]`);
    for (const n of s.nodes) lines.push(`    ${shape(n)}`);
    lines.push('  end');
  });
  for (const e of p.edges) {
    const label = EDGE_LABEL[e.kind];
    const arrow = e.kind === 'flow' ? '-->' : '-.->';
    lines.push(`  ${e.from} ${arrow}${label ? `|${label}|` : ''} ${e.to}`);
  }
  return lines.join('\n');
}

/** Graphviz DOT: one cluster per sub-topology. */
export function toDot(topology: Drawable): string {
  const p = topologyPicture(topology);
  const text = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const attrs = (n: PictureNode, label = n.label) =>
    `${n.id} [label=${text(label)}, shape=${n.shape === 'store' ? 'cylinder' : n.shape === 'topic' ? 'parallelogram' : 'box'}];`;
  const lines = [`digraph topology {`, `  label=${text(p.title)};`, '  rankdir=LR;'];
  for (const t of p.topics) lines.push(`  ${attrs(t, topicLabel(t))}`);
  p.subTopologies.forEach((s, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${text(s.label)};`);
    for (const n of s.nodes) lines.push(`    ${attrs(n)}`);
    lines.push('  }');
  });
  for (const e of p.edges) {
    const label = EDGE_LABEL[e.kind];
    const style = e.kind === 'flow' ? '' : 'style=dashed';
    const list = [label ? `label=${text(label)}` : '', style].filter((a) => a.length > 0).join(', ');
    lines.push(`  ${e.from} -> ${e.to}${list ? ` [${list}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n');
}

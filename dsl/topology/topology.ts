// A declared pipeline, ready to run: its nodes, the topics it reads and writes,
// its stores with their changelogs, and describe() (text), toMermaid(), toDot() and toSvg() (pictures).
import type { ErasedSerde, SinkSpec, StoreSpec } from '../operator';
import type { TimestampExtractor, TopologyNode } from './node';
import { toDot, toMermaid } from './picture';
import { toSvg } from './svg-render';

export interface SourceSpec {
  readonly topic: string;
  readonly role: 'stream' | 'table' | 'repartition';
  readonly keySerde: ErasedSerde;
  readonly valueSerde: ErasedSerde;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly node: TopologyNode;
}

export interface ResolvedStore extends StoreSpec {
  readonly name: string;
  readonly keySerde: ErasedSerde;
  readonly valueSerde: ErasedSerde;
  /** Where changes are written and restored from; undefined when opted out. */
  readonly changelogTopic: string | undefined;
}

export class Topology {
  constructor(
    readonly applicationId: string,
    readonly nodes: readonly TopologyNode[],
    readonly sources: ReadonlyMap<string, SourceSpec>,
    readonly stores: readonly ResolvedStore[],
    readonly sinks: readonly SinkSpec[],
  ) {}

  /** Topics the app creates itself: repartition topics and changelogs. */
  get repartitionTopics(): string[] {
    return [...this.sources.values()].filter((s) => s.role === 'repartition').map((s) => s.topic);
  }

  get changelogTopics(): string[] {
    return this.stores.filter((s) => s.changelog === 'own' && s.changelogTopic).map((s) => s.changelogTopic!);
  }

  /** Sources the user provides (not repartition topics). */
  get inputTopics(): string[] {
    return [...this.sources.values()].filter((s) => s.role !== 'repartition').map((s) => s.topic);
  }

  store(name: string): ResolvedStore | undefined {
    return this.stores.find((s) => s.name === name);
  }

  /** Nodes a task subscribes to: those nothing else reads. Subscribing them runs everything upstream. */
  get leaves(): TopologyNode[] {
    return this.nodes.filter((n) => n.children.length === 0);
  }

  /**
   * Sub-topologies: nodes connected by parent links or operator inputs. A
   * repartition topic starts a new one, as in Kafka Streams.
   */
  subTopologies(): TopologyNode[][] {
    const parent = new Map<number, number>();
    const find = (id: number): number => {
      let root = id;
      while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
      return root;
    };
    const union = (a: number, b: number) => parent.set(find(a), find(b));
    for (const n of this.nodes) parent.set(n.id, n.id);
    for (const n of this.nodes) {
      if (n.parent) union(n.id, n.parent.id);
      for (const input of n.spec?.inputs ?? []) union(n.id, input.node.id);
    }
    // Nodes sharing a store belong together too (a table and the joins reading it).
    const byStore = new Map<string, number>();
    for (const n of this.nodes) {
      for (const s of n.spec?.stores ?? []) {
        const seen = byStore.get(s.name!);
        if (seen === undefined) byStore.set(s.name!, n.id);
        else union(n.id, seen);
      }
    }
    const groups = new Map<number, TopologyNode[]>();
    for (const n of this.nodes) {
      const root = find(n.id);
      if (!groups.has(root)) groups.set(root, []);
      groups.get(root)!.push(n);
    }
    return [...groups.values()].sort((a, b) => a[0].id - b[0].id);
  }

  /** The topology as a Mermaid flowchart: sub-topologies as subgraphs; topics, stores and changelogs as nodes. */
  toMermaid(): string {
    return toMermaid(this);
  }

  /** The same picture in Graphviz DOT. */
  toDot(): string {
    return toDot(this);
  }

  /** The same picture as a self-contained SVG (laid out here, no browser or Graphviz needed). */
  toSvg(): string {
    return toSvg(this);
  }

  /** The topology as text: sources, sub-topologies, repartition topics, stores, sinks. */
  describe(): string {
    const lines: string[] = [`Topology of application "${this.applicationId}"`];
    this.subTopologies().forEach((nodes, i) => {
      lines.push(`  Sub-topology ${i}`);
      for (const n of nodes) {
        if (n.kind === 'source') {
          const s = this.sources.get(n.topic!)!;
          lines.push(
            `    Source: ${n.name} (topic: ${n.topic}${s.role === 'stream' ? '' : `, ${s.role}`}; key ${s.keySerde.format}, value ${s.valueSerde.format})`,
          );
        } else {
          const parts: string[] = [];
          if (!n.spec) parts.push('rxjs');
          if (n.spec?.detail) parts.push(n.spec.detail);
          const stores = (n.spec?.stores ?? []).map((s) => s.name);
          if (stores.length) parts.push(`stores: [${stores.join(', ')}]`);
          const inputs = (n.spec?.inputs ?? []).map((h) => h.node.name);
          if (inputs.length) parts.push(`reads: [${inputs.join(', ')}]`);
          for (const sink of n.spec?.sinks ?? []) parts.push(`${sink.role === 'dead-letter' ? 'dead letters to' : 'to'}: ${sink.topic}`);
          lines.push(`    Processor: ${n.name}${parts.length ? ` (${parts.join('; ')})` : ''}`);
        }
        if (n.parent) lines.push(`      <-- ${n.parent.name}`);
        if (n.children.length) lines.push(`      --> ${n.children.map((c) => c.name).join(', ')}`);
      }
    });
    const repartitions = this.repartitionTopics;
    lines.push(`  Repartition topics: ${repartitions.length ? repartitions.join(', ') : 'none'}`);
    lines.push('  Stores:');
    if (this.stores.length === 0) lines.push('    none');
    for (const s of this.stores) {
      const log =
        s.changelog === 'none'
          ? 'NO CHANGELOG (opted out: state is lost on restart)'
          : s.changelog === 'source'
            ? `changelog: source topic ${s.changelogTopic}`
            : `changelog: ${s.changelogTopic}`;
      lines.push(`    ${s.name} (${s.kind}; key ${s.keySerde.format}, value ${s.valueSerde.format}; ${log})`);
    }
    const sinks = [...new Set(this.sinks.filter((s) => s.role === 'sink').map((s) => s.topic))];
    const dead = [...new Set(this.sinks.filter((s) => s.role === 'dead-letter').map((s) => s.topic))];
    lines.push(`  Sinks: ${sinks.length ? sinks.join(', ') : 'none'}`);
    if (dead.length) lines.push(`  Dead-letter topics: ${dead.join(', ')}`);
    return lines.join('\n');
  }
}

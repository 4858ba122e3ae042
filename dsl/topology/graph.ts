// The graph behind a StreamsBuilder: its nodes, source topics, stores and sinks.
// append() puts a repartition topic in front of a keyed step when the key changed
// upstream; build() resolves store names and changelog topics and returns the
// Topology. It knows nodes and operators only: the typed KStream and KTable are
// the builder's.
import { specOf, type ErasedOperator, type ErasedSerde, type OperatorSpec, type SinkSpec, type StoreSpec } from '../operator';
import { repartitionSink } from '../operators/repartition';
import { defaultSerde } from '../serdes';
import { nodeName, type TimestampExtractor, type TopologyNode } from './node';
import { Topology, type ResolvedStore, type SourceSpec } from './topology';

export class TopologyGraph {
  private readonly nodes: TopologyNode[] = [];
  private readonly sources = new Map<string, SourceSpec>();
  private readonly storeSpecs: StoreSpec[] = [];
  private readonly sinks: SinkSpec[] = [];
  private repartitions = 0;

  constructor(private readonly applicationId: string) {}

  /** A source node reading `topic`, which no other source of this topology reads. */
  source(
    topic: string,
    role: 'stream' | 'table' | 'repartition',
    keySerde: ErasedSerde,
    valueSerde: ErasedSerde,
    timestampExtractor?: TimestampExtractor,
  ): TopologyNode {
    if (this.sources.has(topic))
      throw new Error(`Topic "${topic}" is already a source of this topology; reuse its KStream/KTable instead of declaring it twice.`);
    const id = this.nodes.length;
    const node: TopologyNode = {
      id,
      name: nodeName('source', id),
      kind: 'source',
      parent: undefined,
      children: [],
      inputRefs: 0,
      operator: undefined,
      spec: undefined,
      topic,
      sourceRole: role,
      timestampExtractor,
      keySerde,
      valueSerde,
      keyChanged: false,
      tableStore: undefined,
    };
    this.nodes.push(node);
    this.sources.set(topic, { topic, role, keySerde, valueSerde, timestampExtractor, node });
    return node;
  }

  /** Appends one operator after `parent`. */
  append(parent: TopologyNode, op: ErasedOperator): TopologyNode {
    const spec = specOf(op);
    if (spec?.keyed && parent.keyChanged) parent = this.repartition(parent, spec);
    (spec?.stores ?? []).forEach((store, i) => this.register(store, parent, spec!, i));
    for (const sink of spec?.sinks ?? []) this.sinks.push(sink);
    for (const input of spec?.inputs ?? []) (input.node as TopologyNode).inputRefs++;
    const id = this.nodes.length;
    const tableStore = spec?.table ? spec.stores?.[0]?.name : undefined;
    const node: TopologyNode = {
      id,
      name: nodeName(spec?.kind ?? 'rxjs', id),
      kind: 'processor',
      parent,
      children: [],
      inputRefs: 0,
      operator: op,
      spec,
      topic: undefined,
      sourceRole: undefined,
      timestampExtractor: undefined,
      keySerde: spec ? (spec.keySerde ?? (spec.keepsKeySerde || spec.keyed ? parent.keySerde : undefined)) : parent.keySerde,
      valueSerde: spec ? (spec.valueSerde ?? (spec.keepsValueSerde ? parent.valueSerde : undefined)) : undefined,
      keyChanged: spec
        ? !!spec.changesKey || (!spec.keyed && !spec.table && (parent.keyChanged || (spec.inputs ?? []).some((i) => i.node.keyChanged)))
        : parent.keyChanged,
      tableStore,
    };
    parent.children.push(node);
    this.nodes.push(node);
    return node;
  }

  build(): Topology {
    const stores: ResolvedStore[] = [];
    const seen = new Map<string, StoreSpec>();
    for (const s of this.storeSpecs) {
      const other = seen.get(s.name!);
      if (other && other !== s) throw new Error(`Store name "${s.name}" is used by two operators; give each stateful step its own store name.`);
      if (other) continue;
      seen.set(s.name!, s);
      const changelogTopic = s.changelog === 'own' ? `${this.applicationId}-${s.name}-changelog` : s.changelog === 'source' ? s.sourceTopic : undefined;
      stores.push({ ...s, name: s.name!, keySerde: s.keySerde ?? defaultSerde(), valueSerde: s.valueSerde ?? defaultSerde(), changelogTopic });
    }
    return new Topology(this.applicationId, [...this.nodes], new Map(this.sources), stores, [...this.sinks]);
  }

  /** Sink to and source from `<app>-<step>-repartition`, so records meet their key's task. */
  private repartition(parent: TopologyNode, before: OperatorSpec): TopologyNode {
    const storeName = before.stores?.[0]?.name;
    const topic = `${this.applicationId}-${storeName ?? `${before.kind}-${this.repartitions}`}-repartition`;
    this.repartitions++;
    const keySerde = before.stores?.[0]?.keySerde ?? parent.keySerde ?? defaultSerde();
    const valueSerde = parent.valueSerde ?? defaultSerde();
    this.append(parent, repartitionSink(topic, keySerde, valueSerde));
    return this.source(topic, 'repartition', keySerde, valueSerde);
  }

  private register(store: StoreSpec, parent: TopologyNode, spec: OperatorSpec, index: number): void {
    if (store.name === undefined) store.name = `${spec.kind}-store-${String(this.nodes.length).padStart(10, '0')}${index > 0 ? `-${index}` : ''}`;
    if (!store.keySerde) store.keySerde = parent.keySerde;
    if (!store.valueSerde && spec.keepsValueSerde) store.valueSerde = parent.valueSerde;
    if (!this.storeSpecs.includes(store)) this.storeSpecs.push(store);
  }
}

// StreamsBuilder: where a pipeline is declared. Sources come from topics with
// their serdes; KStream.pipe() appends operators; a repartition topic is put in
// front of a keyed step when the key changed upstream; build() resolves store
// names and changelog topics and returns the Topology.
import type { Serde } from '../../core/schema';
import { specOf, type ErasedOperator, type OperatorSpec, type SinkSpec, type StoreSpec } from '../operator';
import { repartitionSink } from '../operators/repartition';
import { defaultSerde } from '../serdes';
import { KStream } from './kstream';
import { KTable } from './ktable';
import { nodeName, type TimestampExtractor, type TopologyNode } from './node';
import { materialize } from '../operators/to-table';
import { Topology, type ResolvedStore, type SourceSpec } from './topology';

export interface StreamOptions<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
  /** Event time of a record; default: the record's timestamp. */
  timestamp?: (record: { key: K; value: V }, recordTimestamp: number) => number;
}

export interface TableOptions<K, V> extends StreamOptions<K, V> {
  /** The store holding the table (queryable); default `<topic>-table`. */
  store?: string;
}

export class StreamsBuilder {
  private readonly nodes: TopologyNode[] = [];
  private readonly sources = new Map<string, SourceSpec>();
  private readonly storeSpecs: StoreSpec[] = [];
  private readonly sinks: SinkSpec[] = [];
  private repartitions = 0;

  constructor(readonly applicationId: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(applicationId)) throw new Error(`Application id "${applicationId}" may only hold letters, digits, ".", "_" and "-" (it prefixes topic names).`);
  }

  /** A stream of the records of `topic`. */
  stream<K = string, V = string>(topic: string, options: StreamOptions<K, V> = {}): KStream<K, V> {
    return new KStream<K, V>(this, this.source(topic, 'stream', options));
  }

  /** A table (latest value per key) read straight from a (compacted) topic; the topic is its changelog. */
  table<K = string, V = string>(topic: string, options: TableOptions<K, V> = {}): KTable<K, V> {
    const source = this.source(topic, 'table', options);
    const store: StoreSpec = { name: options.store ?? `${topic}-table`, kind: 'key-value', keySerde: source.keySerde, valueSerde: source.valueSerde, changelog: 'source', sourceTopic: topic };
    const node = this.append(source, materialize<K, V>(store));
    return new KTable<K, V>(this, node, store.name!);
  }

  /** Appends one operator after `parent` (used by KStream.pipe). */
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
      keyChanged: spec ? !!spec.changesKey || (!spec.keyed && !spec.table && (parent.keyChanged || (spec.inputs ?? []).some((i) => (i.node as TopologyNode).keyChanged))) : parent.keyChanged,
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

  private source<K, V>(topic: string, role: 'stream' | 'table' | 'repartition', options: StreamOptions<K, V>): TopologyNode {
    if (this.sources.has(topic)) throw new Error(`Topic "${topic}" is already a source of this topology; reuse its KStream/KTable instead of declaring it twice.`);
    const id = this.nodes.length;
    const keySerde = options.key ?? (defaultSerde() as Serde<K>);
    const valueSerde = options.value ?? (defaultSerde() as Serde<V>);
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
      timestampExtractor: options.timestamp as TimestampExtractor | undefined,
      keySerde,
      valueSerde,
      keyChanged: false,
      tableStore: undefined,
    };
    this.nodes.push(node);
    this.sources.set(topic, { topic, role, keySerde, valueSerde, timestampExtractor: node.timestampExtractor, node });
    return node;
  }

  /** Sink to and source from `<app>-<step>-repartition`, so records meet their key's task. */
  private repartition(parent: TopologyNode, before: OperatorSpec): TopologyNode {
    const storeName = before.stores?.[0]?.name;
    const topic = `${this.applicationId}-${storeName ?? `${before.kind}-${this.repartitions}`}-repartition`;
    this.repartitions++;
    const keySerde = before.stores?.[0]?.keySerde ?? parent.keySerde ?? defaultSerde();
    const valueSerde = parent.valueSerde ?? defaultSerde();
    this.append(parent, repartitionSink(topic, keySerde, valueSerde));
    return this.source(topic, 'repartition', { key: keySerde, value: valueSerde });
  }

  private register(store: StoreSpec, parent: TopologyNode, spec: OperatorSpec, index: number): void {
    if (store.name === undefined) store.name = `${spec.kind}-store-${String(this.nodes.length).padStart(10, '0')}${index > 0 ? `-${index}` : ''}`;
    if (!store.keySerde) store.keySerde = parent.keySerde;
    if (!store.valueSerde && spec.keepsValueSerde) store.valueSerde = parent.valueSerde;
    if (!this.storeSpecs.includes(store)) this.storeSpecs.push(store);
  }
}

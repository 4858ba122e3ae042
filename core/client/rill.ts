// Rill.open({ dir }): the built-in log as a library, no server. Opens (or
// creates) the broker in `dir` and hands out producers, consumers and an admin.
import * as path from 'node:path';
import { Broker, BrokerOptions } from '../broker';
import { Admin } from './admin';
import { Consumer, ConsumerOptions } from './consumer';
import { Producer, ProducerOptions } from './producer';
import { TransactionalProducer, type TransactionalProducerOptions } from './transactional-producer';
import { singleNodePorts } from '../protocol';
import { openBrokerSchemaRegistry } from './schema-registry';
import type { SchemaRegistry } from '../schema';

export interface RillOptions extends Partial<Omit<BrokerOptions, 'dir'>> {
  /** Data directory; the log lives in `<dir>/log`. */
  dir: string;
}

export class Rill {
  private readonly producers = new Set<Producer | TransactionalProducer>();
  private readonly consumers = new Set<Consumer>();
  private registry: SchemaRegistry | undefined;
  readonly admin: Admin;

  private constructor(readonly broker: Broker) {
    this.admin = new Admin(broker);
  }

  static open(options: RillOptions): Rill {
    const { dir, ...rest } = options;
    return new Rill(Broker.open({ ...rest, dir: path.join(dir, 'log') }));
  }

  /** A producer; with a `transactionalId`, a transactional one (beginTransaction, send, sendOffsets, commit, abort). */
  producer(options: TransactionalProducerOptions): TransactionalProducer;
  producer(options?: ProducerOptions): Producer;
  producer(options: ProducerOptions & { transactionalId?: string } = {}): Producer | TransactionalProducer {
    const { transactionalId } = options;
    const p =
      transactionalId === undefined
        ? new Producer(this.broker, options)
        : new TransactionalProducer(this.broker, this.transactions, { ...options, transactionalId });
    this.producers.add(p);
    return p;
  }

  /** The broker's transaction coordinator, through the same port the Kafka front end serves it from. */
  private get transactions() {
    const port = singleNodePorts(this.broker).transactions;
    if (port === undefined) throw new Error('The embedded broker has no transaction coordinator.');
    return port;
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    const c = new Consumer(this.broker, options);
    this.consumers.add(c);
    return c;
  }

  /** The schema registry, stored in this log's compacted `_schemas` topic (opened on first use). */
  get schemaRegistry(): SchemaRegistry {
    this.registry ??= openBrokerSchemaRegistry(this.broker);
    return this.registry;
  }

  /** Flushes producers, closes consumers (committing and leaving their groups), then the broker. */
  async close(): Promise<void> {
    await Promise.all([...this.producers].map((p) => p.close()));
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.registry?.close();
    await this.broker.close();
  }
}

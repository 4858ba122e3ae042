// Starts test/peers/kafka/wordcount-instance.ts as its own process (an instance
// of the word count on the kafkajs LogClient that a test can kill with SIGKILL)
// and follows what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { kafkaLogClient, type KafkaLogClient } from '../../../core/client';
import type { RebalanceEvent, RillStreams } from '../../../dsl';
import { killAndWait } from '../../support/ports';
import { startKafka, type KafkaPeer } from './kafka-broker';

const ROOT = path.join(__dirname, '..', '..', '..');
const LIFETIME_MS = 5 * 60_000;

export interface WordCountChild {
  process: ChildProcess;
  /** The partitions it said it owns after its last rebalance. */
  assigned(): number[];
  /** What it printed so far (for a failure's message). */
  output(): string;
}

/** Starts the instance; `onRebalance` hears each rebalance it reports. With `exactlyOnceAs`, it runs exactly-once under that instance id. */
export function startWordCountChild(
  bootstrap: string,
  applicationId: string,
  onRebalance: (e: RebalanceEvent) => void,
  exactlyOnceAs?: string,
): WordCountChild {
  const args = ['-r', './test/support/register-ts.js', 'test/peers/kafka/wordcount-instance.ts', bootstrap, applicationId, String(LIFETIME_MS)];
  if (exactlyOnceAs !== undefined) args.push('exactly-once', exactlyOnceAs);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let assigned: number[] = [];
  let output = '';
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    output += `${l}\n`;
    const m = /^assigned (.*)$/.exec(l);
    if (!m) return;
    assigned = m[1] === '' ? [] : m[1].split(',').map(Number);
    onRebalance({ assigned: [], revoked: [], owned: assigned });
  });
  child.stderr!.on('data', (d) => (output += d));
  return { process: child, assigned: () => assigned, output: () => output };
}

/**
 * What a kill test's file shares: Apache Kafka for the file, kafkajs LogClients
 * and apps closed after it, and the child instance (one at a time) killed.
 */
export function wordCountKillFixture(applicationId: string) {
  let kafka: KafkaPeer | undefined;
  let child: WordCountChild | undefined;
  const clients: KafkaLogClient[] = [];
  const apps: RillStreams[] = [];
  beforeAll(async () => {
    kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
  }, 180_000);
  afterAll(async () => {
    if (child) await killAndWait(child.process);
    for (const a of apps) await a.stop().catch(() => undefined);
    for (const c of clients) await c.close().catch(() => undefined);
    await kafka?.stop();
  });
  return {
    bootstrap: () => kafka!.bootstrap,
    client(name: string): KafkaLogClient {
      const c = kafkaLogClient({ brokers: [kafka!.bootstrap], clientId: `${applicationId}-${name}` });
      clients.push(c);
      return c;
    },
    /** Stops the app after the file. */
    app(streams: RillStreams): RillStreams {
      apps.push(streams);
      return streams;
    },
    startChild(onRebalance: (e: RebalanceEvent) => void, exactlyOnceAs?: string): WordCountChild {
      child = startWordCountChild(kafka!.bootstrap, applicationId, onRebalance, exactlyOnceAs);
      return child;
    },
    /** SIGKILLs the child and waits until it is gone. */
    async killChild(): Promise<void> {
      if (child) await killAndWait(child.process);
      child = undefined;
    },
  };
}

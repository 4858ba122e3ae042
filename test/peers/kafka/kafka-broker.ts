// A single-node Apache Kafka 4.x (KRaft, broker and controller in one process)
// on free loopback ports with a temporary data directory, started from the jars
// `npm run peers:kafka` fetched (no tarball). Used by the peer tests and the
// vs-kafka bench; run directly it starts one and prints its bootstrap address:
//   node -r ./test/support/register-ts.js test/peers/kafka/kafka-broker.ts
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePortPair } from '../../support/ports';
import { JavaProcess, runJava, startJava } from './jvm';

export interface KafkaPeer {
  /** host:port of the PLAINTEXT listener. */
  bootstrap: string;
  port: number;
  /** The broker JVM's process id (for its RSS and CPU). */
  pid: number;
  /** Kills the broker and removes its data directory. */
  stop(): Promise<void>;
}

export interface KafkaPeerOptions {
  /** SIGKILLed after this long whatever happens (default 30 minutes). */
  lifetimeMs?: number;
  /** Broker settings added to (or replacing) the defaults below. */
  config?: Record<string, string>;
  /** How long the broker may take to start (default 120 s: a JVM on a loaded 2-core machine is slow). */
  startTimeoutMs?: number;
}

const BROKER_JVM_OPTIONS = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

function serverProperties(dataDir: string, port: number, extra: Record<string, string>): string {
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${port + 1}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(dataDir, 'log'),
    'num.partitions': '1',
    // One node: the internal topics have one replica.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...extra,
  };
  return (
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

/**
 * A cluster id is a Kafka Uuid: 16 bytes, base64url without padding. As Kafka's
 * Uuid.randomUuid does, one starting with '-' is drawn again: the storage tool
 * would read it as an option ("--cluster-id: expected one argument").
 */
function randomClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Formats a data directory and starts Apache Kafka on it; resolves once the broker says it started. */
export async function startKafka(opts: KafkaPeerOptions = {}): Promise<KafkaPeer> {
  const lifetimeMs = opts.lifetimeMs ?? 30 * 60_000;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-kafka-peer-'));
  const port = await freePortPair(new Set());
  const config = path.join(dataDir, 'server.properties');
  fs.writeFileSync(config, serverProperties(dataDir, port, opts.config ?? {}));
  const clusterId = randomClusterId();
  const format = await runJava('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', config], { lifetimeMs: 120_000 });
  if (format.code !== 0) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`formatting Kafka's storage failed (exit ${format.code}): ${format.stdout}${format.stderr}`);
  }
  const broker = startJava('kafka.Kafka', [config], { jvmOptions: BROKER_JVM_OPTIONS, lifetimeMs });
  const stop = async () => {
    await broker.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await startedLine(broker, opts.startTimeoutMs ?? 120_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const pid = broker.javaPid();
  if (pid === undefined) {
    await stop();
    throw new Error("Apache Kafka started but its JVM's process was not found");
  }
  return { bootstrap: `127.0.0.1:${port}`, port, pid, stop };
}

/** Resolves when the broker logs "Kafka Server started"; rejects when it exits first or takes too long. */
function startedLine(broker: JavaProcess, timeoutMs: number): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Apache Kafka did not start within ${timeoutMs} ms: ${output.slice(-4000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('Kafka Server started')) {
        clearTimeout(timer);
        broker.child.stderr!.off('data', onData);
        // Keep draining the pipes so the broker never blocks on a full one.
        broker.child.stderr!.resume();
        resolve();
      }
    };
    broker.child.stderr!.on('data', onData);
    broker.child.stdout!.resume();
    broker.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Apache Kafka exited with ${code} before it started: ${output.slice(-4000)}`));
    });
  });
}

if (require.main === module) {
  startKafka().then(
    (kafka) => {
      process.stdout.write(`Apache Kafka listening on ${kafka.bootstrap} (pid ${kafka.pid}); Ctrl-C stops it\n`);
      const stop = () => void kafka.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}

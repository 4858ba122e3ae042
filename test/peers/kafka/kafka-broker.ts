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

/** A broker's JVM: the heap of the single node and of each node of a cluster (kafka-cluster.ts). */
export const BROKER_JVM_OPTIONS = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

/** One KRaft node's place in its cluster. */
export interface KafkaNodeLayout {
  nodeId: number;
  /** A combined node, a broker only or a controller only. */
  roles: 'broker,controller' | 'broker' | 'controller';
  /** The PLAINTEXT listener (nodes with the broker role). */
  port?: number;
  /** The CONTROLLER listener (nodes with the controller role). */
  controllerPort?: number;
  /** controller.quorum.voters: id@host:port of every controller. */
  voters: string;
  dataDir: string;
  /** Brokers in the cluster: the internal topics get as many replicas, up to 3. */
  brokers: number;
}

/** server.properties of one node; `extra` adds to or replaces the defaults. */
export function serverProperties(node: KafkaNodeLayout, extra: Record<string, string>): string {
  const isBroker = node.roles !== 'controller';
  const isController = node.roles !== 'broker';
  const listeners = [...(isBroker ? [`PLAINTEXT://127.0.0.1:${node.port}`] : []), ...(isController ? [`CONTROLLER://127.0.0.1:${node.controllerPort}`] : [])];
  const replicas = String(Math.min(3, node.brokers));
  const minIsr = String(Math.min(2, node.brokers));
  const settings: Record<string, string> = {
    'process.roles': node.roles,
    'node.id': String(node.nodeId),
    'controller.quorum.voters': node.voters,
    listeners: listeners.join(','),
    ...(isBroker ? { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`, 'inter.broker.listener.name': 'PLAINTEXT' } : {}),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(node.dataDir, 'log'),
    'num.partitions': '1',
    // The internal topics have as many replicas as there are brokers (one on a single node).
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
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
export function randomClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Writes a node's server.properties into its data directory and formats its storage; returns the properties file. */
export async function formatNode(node: KafkaNodeLayout, clusterId: string, extra: Record<string, string>): Promise<string> {
  const config = path.join(node.dataDir, 'server.properties');
  fs.writeFileSync(config, serverProperties(node, extra));
  const format = await runJava('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', config], { lifetimeMs: 120_000 });
  if (format.code !== 0) throw new Error(`formatting Kafka's storage for node ${node.nodeId} failed (exit ${format.code}): ${format.stdout}${format.stderr}`);
  return config;
}

/** Formats a data directory and starts Apache Kafka on it; resolves once the broker says it started. */
export async function startKafka(opts: KafkaPeerOptions = {}): Promise<KafkaPeer> {
  const lifetimeMs = opts.lifetimeMs ?? 30 * 60_000;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-kafka-peer-'));
  const port = await freePortPair(new Set());
  const node: KafkaNodeLayout = {
    nodeId: 1,
    roles: 'broker,controller',
    port,
    controllerPort: port + 1,
    voters: `1@127.0.0.1:${port + 1}`,
    dataDir,
    brokers: 1,
  };
  let config: string;
  try {
    config = await formatNode(node, randomClusterId(), opts.config ?? {});
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
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
export function startedLine(broker: JavaProcess, timeoutMs: number): Promise<void> {
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

/** For running a peer from the command line: says where it listens, and stops it on Ctrl-C or SIGTERM. */
export function serveUntilSignal<T extends { stop(): Promise<void> }>(starting: Promise<T>, describe: (peer: T) => string): void {
  starting.then(
    (peer) => {
      process.stdout.write(`${describe(peer)}; Ctrl-C stops it\n`);
      const stop = () => void peer.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) serveUntilSignal(startKafka(), (kafka) => `Apache Kafka listening on ${kafka.bootstrap} (pid ${kafka.pid})`);

// A multi-node Apache Kafka 4.x KRaft cluster on loopback, from the same jars
// and the same node settings as the single node of kafka-broker.ts: N brokers
// (node ids 1..N) and either dedicated controllers (ids 1001..) or, with
// `controllers: 0`, every broker also a controller (combined mode). Every node
// its own JVM, data directory and free ports; every JVM bounded (killed when
// its lifetime is up or when this process dies: jvm.ts). bench/cluster-vs-kafka.ts
// runs one next to a Rill cluster. Run directly it starts 3 controllers and 3
// brokers and prints the bootstrap addresses:
//   node -r ./test/support/register-ts.js test/peers/kafka/kafka-cluster.ts
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePortPair } from '../../support/ports';
import { type JavaProcess, startJava } from './jvm';
import { BROKER_JVM_OPTIONS, formatNode, type KafkaNodeLayout, randomClusterId, serveUntilSignal, startedLine } from './kafka-broker';

/** Dedicated controllers get node ids from here up, clear of the brokers' 1..N. */
export const CONTROLLER_ID_BASE = 1000;

export interface KafkaClusterOptions {
  brokers: number;
  /** Dedicated controller nodes; 0 makes every broker a controller too. */
  controllers: number;
  /** Every JVM is SIGKILLed after this long whatever happens (default 30 minutes). */
  lifetimeMs?: number;
  /** Settings added to (or replacing) every node's defaults. */
  config?: Record<string, string>;
  /** How long the nodes may take to start (default 180 s: six JVMs on a loaded 2-core machine are slow). */
  startTimeoutMs?: number;
  /** A cgroup.procs file per node (key `b<id>` or `c<id>`) to start its JVM in, or undefined for none. */
  cgroupProcs?: (key: string) => string | undefined;
}

export interface KafkaClusterNode {
  /** `b<id>` for a node with the broker role, `c<id>` for a dedicated controller. */
  key: string;
  nodeId: number;
  /** host:port of the PLAINTEXT listener (brokers only). */
  address?: string;
  /** The JVM's process id (for its CPU and memory). */
  pid: number;
}

export interface KafkaCluster {
  brokers: KafkaClusterNode[];
  controllers: KafkaClusterNode[];
  /** Every broker's host:port, comma-separated. */
  bootstrap: string;
  /** host:port of broker `nodeId`. */
  address(nodeId: number): string;
  /** Kills every JVM and removes the data directories. */
  stop(): Promise<void>;
  /** SIGKILLs every JVM at once (synchronous: for an 'exit' handler). */
  killNow(): void;
}

interface Planned {
  key: string;
  layout: KafkaNodeLayout;
}

async function plan(opts: KafkaClusterOptions, root: string): Promise<Planned[]> {
  if (!Number.isInteger(opts.brokers) || opts.brokers < 1) throw new Error(`a Kafka cluster needs at least one broker, not ${opts.brokers}`);
  const taken = new Set<number>();
  const combined = opts.controllers === 0;
  const nodes: { key: string; nodeId: number; roles: KafkaNodeLayout['roles']; port: number }[] = [];
  for (let i = 1; i <= opts.brokers; i++)
    nodes.push({ key: `b${i}`, nodeId: i, roles: combined ? 'broker,controller' : 'broker', port: await freePortPair(taken) });
  for (let i = 1; i <= opts.controllers; i++)
    nodes.push({ key: `c${i}`, nodeId: CONTROLLER_ID_BASE + i, roles: 'controller', port: await freePortPair(taken) });
  // Each node has a port pair: P for PLAINTEXT, P + 1 for CONTROLLER.
  const voters = nodes
    .filter((n) => n.roles !== 'broker')
    .map((n) => `${n.nodeId}@127.0.0.1:${n.port + 1}`)
    .join(',');
  return nodes.map((n) => {
    const dataDir = path.join(root, n.key);
    fs.mkdirSync(dataDir);
    return {
      key: n.key,
      layout: {
        nodeId: n.nodeId,
        roles: n.roles,
        port: n.roles === 'controller' ? undefined : n.port,
        controllerPort: n.roles === 'broker' ? undefined : n.port + 1,
        voters,
        dataDir,
        brokers: opts.brokers,
      },
    };
  });
}

/** Formats every node and starts them all; resolves once each says it started. */
export async function startKafkaCluster(opts: KafkaClusterOptions): Promise<KafkaCluster> {
  const lifetimeMs = opts.lifetimeMs ?? 30 * 60_000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-kafka-cluster-'));
  const jvms: JavaProcess[] = [];
  const killNow = () => {
    for (const jvm of jvms) {
      const pid = jvm.javaPid();
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        jvm.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const stop = async () => {
    await Promise.all(jvms.map((jvm) => jvm.kill()));
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const planned = await plan(opts, root);
    const clusterId = randomClusterId();
    const configs = await Promise.all(planned.map((p) => formatNode(p.layout, clusterId, opts.config ?? {})));
    const started = planned.map((p, i) => {
      const jvm = startJava('kafka.Kafka', [configs[i]], { jvmOptions: BROKER_JVM_OPTIONS, lifetimeMs, cgroupProcs: opts.cgroupProcs?.(p.key) });
      jvms.push(jvm);
      return startedLine(jvm, opts.startTimeoutMs ?? 180_000).then(() => {
        const pid = jvm.javaPid();
        if (pid === undefined) throw new Error(`Kafka node ${p.key} started but its JVM's process was not found`);
        const port = p.layout.port;
        return { key: p.key, nodeId: p.layout.nodeId, pid, ...(port !== undefined ? { address: `127.0.0.1:${port}` } : {}) };
      });
    });
    const nodes: KafkaClusterNode[] = await Promise.all(started);
    const brokers = nodes.filter((n) => n.address !== undefined);
    const address = (nodeId: number) => {
      const b = brokers.find((n) => n.nodeId === nodeId);
      if (b === undefined) throw new Error(`no Kafka broker with node id ${nodeId}`);
      return b.address!;
    };
    return {
      brokers,
      controllers: nodes.filter((n) => n.address === undefined),
      bootstrap: brokers.map((b) => b.address).join(','),
      address,
      stop,
      killNow,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

if (require.main === module) serveUntilSignal(startKafkaCluster({ brokers: 3, controllers: 3 }), (kafka) => `Apache Kafka cluster: brokers ${kafka.bootstrap}`);

// Controllers and brokers of a Rill cluster as child processes on loopback
// (`rill broker --controller ...` / `rill broker ...`), for tests that kill -9.
// Every wait is bounded; killAll() ends every child it started.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { apis, KafkaConnection } from '../../../../core/protocol';

const ROOT = path.resolve(__dirname, '../../../..');
const READY_TIMEOUT_MS = 20_000;

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function bind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/** A free port P whose P+1 is free too (a node listens on both). */
export async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await bind(0);
    if (p === undefined || p >= 65535 || taken.has(p) || taken.has(p + 1)) continue;
    if ((await bind(p + 1)) === undefined) continue;
    taken.add(p);
    taken.add(p + 1);
    return p;
  }
  throw new Error('no free port pair found');
}

export type NodeKey = `c${number}` | `b${number}`;

export class ProcessCluster {
  readonly procs = new Map<NodeKey, ChildProcess>();
  readonly output = new Map<NodeKey, string[]>();
  readonly controllerPorts = new Map<number, number>();
  readonly brokerPorts = new Map<number, number>();

  constructor(
    private readonly dir: string,
    private readonly controllerIds: readonly number[],
    private readonly brokerIds: readonly number[],
    private readonly extraControllerArgs: readonly string[] = [],
    private readonly extraBrokerArgs: readonly string[] = [],
  ) {}

  async allocatePorts(): Promise<void> {
    const taken = new Set<number>();
    for (const id of this.controllerIds) this.controllerPorts.set(id, await freePortPair(taken));
    for (const id of this.brokerIds) this.brokerPorts.set(id, await freePortPair(taken));
  }

  get controllersArg(): string {
    return this.controllerIds.map((id) => `${id}@127.0.0.1:${this.controllerPorts.get(id)}`).join(',');
  }

  bootstrap(id: number): string {
    return `127.0.0.1:${this.brokerPorts.get(id)}`;
  }

  startController(id: number): Promise<void> {
    return this.spawnNode(`c${id}`, ['--controller', '--node-id', String(id), '--controllers', this.controllersArg, '--data-dir', path.join(this.dir, `controller-${id}`), ...this.extraControllerArgs]);
  }

  startBroker(id: number): Promise<void> {
    return this.spawnNode(`b${id}`, ['--node-id', String(id), '--controllers', this.controllersArg, '--port', String(this.brokerPorts.get(id)), '--data-dir', path.join(this.dir, `broker-${id}`), ...this.extraBrokerArgs]);
  }

  private async spawnNode(key: NodeKey, args: string[]): Promise<void> {
    const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', 'broker', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.set(key, child);
    const lines: string[] = this.output.get(key) ?? [];
    this.output.set(key, lines);
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      lines.push(l);
      if (lines.length > 500) lines.shift();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${key} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      readline.createInterface({ input: child.stdout! }).once('line', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${key} exited with ${code} before it was ready:\n${lines.join('\n')}`));
      });
    });
  }

  async kill(key: NodeKey): Promise<void> {
    const child = this.procs.get(key);
    if (child === undefined) return;
    this.procs.delete(key);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((k) => this.kill(k)));
  }

  isUp(key: NodeKey): boolean {
    return this.procs.has(key);
  }

  /** Metadata for `topic` as broker `id` sees it (undefined when it cannot be asked). */
  async metadata(id: number, topic: string): Promise<apis.MetadataResponse | undefined> {
    let c: KafkaConnection | undefined;
    try {
      c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 2000 });
      return await c.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    } catch {
      return undefined;
    } finally {
      c?.close();
    }
  }

  /** Polls the live brokers until `accept` holds for some broker's view of partition 0 of `topic` (bounded). */
  async waitForPartition(topic: string, deadline: number, accept: (p: { leaderId: number; isrNodes: number[]; leaderEpoch: number }) => boolean): Promise<{ leaderId: number; isrNodes: number[]; leaderEpoch: number }> {
    while (Date.now() < deadline) {
      for (const id of this.brokerIds) {
        if (!this.isUp(`b${id}`)) continue;
        const m = await this.metadata(id, topic);
        const p = m?.topics[0]?.partitions.find((x) => x.partitionIndex === 0);
        if (p !== undefined && accept(p)) return p;
      }
      await pause(50);
    }
    throw new Error(`partition 0 of ${topic} did not reach the expected state before the deadline`);
  }

  /** Polls until broker `id` lists `count` brokers and itself among them (bounded). */
  async waitForBrokers(id: number, count: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const m = await this.metadata(id, '__none');
      if (m !== undefined && m.brokers.length >= count && m.brokers.some((b) => b.nodeId === id)) return;
      await pause(50);
    }
    throw new Error(`broker ${id} did not see ${count} registered brokers before the deadline`);
  }

  /** One turn of polling (for loops that wait on a condition of their own, with a deadline). */
  nextTick(): Promise<void> {
    return pause(20);
  }

  dump(): string {
    return [...this.output].map(([k, lines]) => `--- ${k}\n${lines.slice(-40).join('\n')}`).join('\n');
  }
}

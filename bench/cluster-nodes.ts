// The nodes of a real Rill cluster for bench/cluster.ts: each controller and
// broker its own `rill broker ...` process on loopback. Bounded lifetime: every
// node is started with bench/cluster-lifeline.cjs (it stops when the bench's pipe
// to it closes, and after RILL_BENCH_MAX_LIFETIME_MS at the latest), and
// killAllNow() runs on every way out of the bench (exit, signals, errors).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { apis, KafkaConnection } from '../core/protocol';
import { freePortPair, killAndWait } from '../test/support/ports';
import { MemoryCgroup } from './memory-cgroup';

const ROOT = path.resolve(__dirname, '..');
const READY_TIMEOUT_MS = 60_000;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type NodeKey = `c${number}` | `b${number}` | `w${number}`;

export interface PartitionView {
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  isrNodes: number[];
}

export interface ClusterNodesOptions {
  dir: string;
  controllerIds: readonly number[];
  brokerIds: readonly number[];
  controllerArgs?: readonly string[];
  brokerArgs?: readonly string[];
  /** Extra node flags for brokers (e.g. --cpu-prof). */
  brokerNodeFlags?: readonly string[];
  /** Extra environment of brokers. */
  brokerEnv?: Readonly<Record<string, string>>;
  /** Upper bound on any node's life. */
  maxLifetimeMs: number;
  /**
   * Each broker in its own memory cgroup with this limit (page cache included),
   * so its page cache recycles its own pages (see bench/memory-cgroup.ts).
   */
  brokerMemoryLimitMB?: number;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every node still running (synchronous: safe in an 'exit' handler). */
export function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export class ClusterNodes {
  readonly procs = new Map<NodeKey, ChildProcess>();
  readonly output = new Map<NodeKey, string[]>();
  /** Called with every stdout line of every node (workers print their task changes there). */
  onStdout: ((key: NodeKey, line: string, at: number) => void) | undefined;
  readonly controllerPorts = new Map<number, number>();
  readonly brokerPorts = new Map<number, number>();
  /** The brokers' memory cgroups, by node key, when brokerMemoryLimitMB is set. */
  readonly cgroups = new Map<NodeKey, MemoryCgroup>();

  constructor(private readonly o: ClusterNodesOptions) {}

  get brokerIds(): readonly number[] {
    return this.o.brokerIds;
  }

  async allocatePorts(): Promise<void> {
    const taken = new Set<number>();
    for (const id of this.o.controllerIds) this.controllerPorts.set(id, await freePortPair(taken));
    for (const id of this.o.brokerIds) this.brokerPorts.set(id, await freePortPair(taken));
  }

  get controllersArg(): string {
    return this.o.controllerIds.map((id) => `${id}@127.0.0.1:${this.controllerPorts.get(id)}`).join(',');
  }

  bootstrap(id: number): string {
    return `127.0.0.1:${this.brokerPorts.get(id)}`;
  }

  startController(id: number): Promise<void> {
    return this.spawnNode(`c${id}`, [], {}, 'broker', [
      '--controller',
      '--node-id',
      String(id),
      '--controllers',
      this.controllersArg,
      '--data-dir',
      path.join(this.o.dir, `controller-${id}`),
      ...(this.o.controllerArgs ?? []),
    ]);
  }

  startBroker(id: number): Promise<void> {
    return this.spawnNode(`b${id}`, this.o.brokerNodeFlags ?? [], this.o.brokerEnv ?? {}, 'broker', [
      '--node-id',
      String(id),
      '--controllers',
      this.controllersArg,
      '--port',
      String(this.brokerPorts.get(id)),
      '--data-dir',
      path.join(this.o.dir, `broker-${id}`),
      ...(this.o.brokerArgs ?? []),
    ]);
  }

  /** A single-node `rill broker` (no controllers) as node `b<id>`, on that broker's port. */
  startStandaloneBroker(id: number): Promise<void> {
    return this.spawnNode(`b${id}`, this.o.brokerNodeFlags ?? [], this.o.brokerEnv ?? {}, 'broker', [
      '--port',
      String(this.brokerPorts.get(id)),
      '--data-dir',
      path.join(this.o.dir, `standalone-${id}`),
      ...(this.o.brokerArgs ?? []),
    ]);
  }

  /** `rill worker --controllers ... --brokers ... ARGS` as node `w<id>`. */
  startWorker(id: number, args: readonly string[]): Promise<void> {
    const brokers = this.o.brokerIds.map((b) => this.bootstrap(b)).join(',');
    return this.spawnNode(`w${id}`, [], {}, 'worker', ['--controllers', this.controllersArg, '--brokers', brokers, ...args]);
  }

  private async spawnNode(
    key: NodeKey,
    nodeFlags: readonly string[],
    env: Readonly<Record<string, string>>,
    command: 'broker' | 'worker',
    args: string[],
  ): Promise<void> {
    const child = spawn(
      process.execPath,
      [...nodeFlags, '-r', './bench/cluster-lifeline.cjs', '-r', './test/support/register-ts.js', 'cli/main.ts', command, ...args],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...env, RILL_BENCH_MAX_LIFETIME_MS: String(this.o.maxLifetimeMs) },
      },
    );
    live.add(child);
    child.once('exit', () => live.delete(child));
    if (key.startsWith('b') && this.o.brokerMemoryLimitMB !== undefined) this.confine(key, child);
    child.stdin!.on('error', () => {});
    this.procs.set(key, child);
    const lines: string[] = this.output.get(key) ?? [];
    this.output.set(key, lines);
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      lines.push(l);
      if (lines.length > 500) lines.shift();
    });
    const stdout = readline.createInterface({ input: child.stdout! });
    stdout.on('line', (l) => {
      const at = performance.now();
      lines.push(`[stdout] ${l}`);
      this.onStdout?.(key, l, at);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${key} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      stdout.once('line', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${key} exited with ${code} before it was ready:\n${lines.join('\n')}`));
      });
    });
  }

  /** Puts a broker just spawned into its memory cgroup; kills it if that fails, so no broker runs unconfined. */
  private confine(key: NodeKey, child: ChildProcess): void {
    try {
      let group = this.cgroups.get(key);
      if (group === undefined) {
        group = MemoryCgroup.create(`rill-bench-${process.pid}-${key}`, this.o.brokerMemoryLimitMB!);
        this.cgroups.set(key, group);
      }
      group.add(child.pid!);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /** Removes the brokers' memory cgroups (after the nodes stopped). */
  removeCgroups(): void {
    for (const [key, group] of this.cgroups) if (group.remove()) this.cgroups.delete(key);
  }

  pid(key: NodeKey): number | undefined {
    return this.procs.get(key)?.pid;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(key: NodeKey): Promise<void> {
    const child = this.procs.get(key);
    if (child === undefined) return;
    this.procs.delete(key);
    await killAndWait(child);
  }

  /** SIGTERM (a graceful stop: --cpu-prof writes its profile), SIGKILL after `graceMs`. */
  async stop(key: NodeKey, graceMs = 15_000): Promise<void> {
    const child = this.procs.get(key);
    if (child === undefined) return;
    this.procs.delete(key);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(graceMs?: number): Promise<void> {
    // Brokers first: they need no controller to stop, and stop cleanly while the controllers are up.
    const keys = [...this.procs.keys()];
    await Promise.all(keys.filter((k) => k.startsWith('w')).map((k) => this.stop(k, graceMs)));
    await Promise.all(keys.filter((k) => k.startsWith('b')).map((k) => this.stop(k, graceMs)));
    await Promise.all(keys.filter((k) => k.startsWith('c')).map((k) => this.stop(k, graceMs)));
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((k) => this.kill(k)));
  }

  isUp(key: NodeKey): boolean {
    return this.procs.has(key);
  }

  /** User and system CPU seconds of a live node so far (from /proc; undefined when it cannot be read). */
  cpuSeconds(key: NodeKey): { user: number; system: number } | undefined {
    const pid = this.pid(key);
    if (pid === undefined) return undefined;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
    } catch {
      return undefined;
    }
  }

  cpuSnapshot(): Map<NodeKey, { user: number; system: number }> {
    const m = new Map<NodeKey, { user: number; system: number }>();
    for (const key of this.procs.keys()) {
      const s = this.cpuSeconds(key);
      if (s !== undefined) m.set(key, s);
    }
    return m;
  }

  async metadata(id: number, topics: string[] | null): Promise<apis.MetadataResponse | undefined> {
    let c: KafkaConnection | undefined;
    try {
      c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 2000, clientId: 'rill-bench' });
      return await c.request<apis.MetadataResponse>(apis.metadata, {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    } catch {
      return undefined;
    } finally {
      c?.close();
    }
  }

  /** The partitions of `topic` as the first live broker that answers sees them. */
  async partitions(topic: string, skip: ReadonlySet<number> = new Set()): Promise<PartitionView[] | undefined> {
    for (const id of this.o.brokerIds) {
      if (!this.isUp(`b${id}`) || skip.has(id)) continue;
      const m = await this.metadata(id, [topic]);
      const t = m?.topics.find((x) => x.name === topic);
      if (t !== undefined && t.errorCode === 0)
        return t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isrNodes: [...p.isrNodes] }));
    }
    return undefined;
  }

  /** Polls until `accept` holds for every partition of `topic` in some live broker's view (bounded). */
  async waitForPartitions(topic: string, deadline: number, accept: (p: PartitionView) => boolean): Promise<PartitionView[]> {
    while (Date.now() < deadline) {
      const ps = await this.partitions(topic);
      if (ps !== undefined && ps.length > 0 && ps.every(accept)) return ps;
      await pause(50);
    }
    throw new Error(`the partitions of ${topic} did not reach the expected state before the deadline`);
  }

  /** Polls until broker `id` lists `count` brokers and itself among them (bounded). */
  async waitForBrokers(id: number, count: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const m = await this.metadata(id, []);
      if (m !== undefined && m.brokers.length >= count && m.brokers.some((b) => b.nodeId === id)) return;
      await pause(50);
    }
    throw new Error(`broker ${id} did not see ${count} registered brokers before the deadline`);
  }

  dump(lastLines = 30): string {
    return [...this.output].map(([k, lines]) => `--- ${k}\n${lines.slice(-lastLines).join('\n')}`).join('\n');
  }
}

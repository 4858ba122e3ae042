// Child processes of the `rill` CLI for worker tests: each one's output kept
// by line, waits that wake on every line (bounded), the tasks a worker last
// printed, one cluster node to run workers against, and every process killed
// at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { combinedNodeArgs, combinedNodePorts } from '../support/node-args';

const ROOT = path.resolve(__dirname, '../..');

/** The `rill worker` arguments the worker tests share (heartbeats and commits every 200 ms), then `extra`. */
export function workerArgs(
  o: { app: string; pipeline: string; controllers: string; brokers: string; workerId: string; sessionTimeoutMs?: number },
  extra: readonly string[] = [],
): string[] {
  return [
    'worker',
    '--app',
    o.app,
    '--pipeline',
    o.pipeline,
    '--controllers',
    o.controllers,
    '--brokers',
    o.brokers,
    '--worker-id',
    o.workerId,
    ...(o.sessionTimeoutMs === undefined ? [] : ['--session-timeout-ms', String(o.sessionTimeoutMs)]),
    '--heartbeat-interval-ms',
    '200',
    '--commit-interval-ms',
    '200',
    ...extra,
  ];
}

/** `worker` words for the word count example as `workerId` of `app`, on a node that startNode started. */
export function wordCountWorkerArgs(
  app: string,
  workerId: string,
  node: { controllerPort: number; brokerPort: number },
  extra: readonly string[] = [],
): string[] {
  return workerArgs(
    {
      app,
      pipeline: 'examples/wordcount/pipeline.ts',
      controllers: `1@127.0.0.1:${node.controllerPort}`,
      brokers: `127.0.0.1:${node.brokerPort}`,
      workerId,
    },
    extra,
  );
}

/**
 * Whether `groupId` has committed everything in `topic` (past its last
 * transaction marker). A partition nothing was ever written to has no commit
 * (-1): it is caught up when empty.
 */
export async function committedToEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends.every((e) => Math.max(Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1), Number(e.low)) >= Number(e.high));
}

/** Each partition's committed offset of `groupId` on `topic` (-1: none yet). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/**
 * The value of a Prometheus counter or gauge (its series summed) at a `rill
 * worker --metrics-port` URL; undefined when the worker does not answer.
 */
export async function scrapeMetric(url: string, metric: string): Promise<number | undefined> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    text = await res.text();
  } catch {
    return undefined;
  }
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === metric) sum += Number(m[2]);
  }
  return sum;
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly out: string[];
  readonly err: string[];
  readonly exited: Promise<number | null>;
}

export class CliProcs {
  readonly procs = new Map<string, Proc>();
  private readonly listeners = new Set<() => void>();

  /** `rill ARGS` from the TypeScript sources, as `name` (with `stdin: true`, its stdin is a pipe the test writes). */
  start(name: string, args: string[], opts: { stdin?: boolean } = {}): Proc {
    const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined);
    const out: string[] = [];
    const err: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const changed = () => this.listeners.forEach((f) => f());
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      out.push(l);
      changed();
    });
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      err.push(l);
      changed();
    });
    void exited.then(changed);
    const p = { name, child, out, err, exited };
    this.procs.set(name, p);
    return p;
  }

  /** Resolves once `condition` holds, re-checked on every output line and every `pollMs` (bounded). */
  async until(what: string, deadline: number, condition: () => boolean | Promise<boolean>, pollMs = 100): Promise<void> {
    let wake: () => void = () => undefined;
    const listener = () => wake();
    this.listeners.add(listener);
    try {
      while (!(await condition())) {
        if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}\n${this.dump()}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.listeners.delete(listener);
    }
  }

  dump(): string {
    return [...this.procs.values()]
      .map((p) => `--- ${p.name} stdout\n${p.out.slice(-15).join('\n')}\n--- ${p.name} stderr\n${p.err.slice(-25).join('\n')}`)
      .join('\n');
  }

  /** The tasks a worker last reported, from its stdout. */
  tasks(name: string): number[] | undefined {
    const lines = this.procs.get(name)?.out.filter((l) => l.includes(' tasks ['));
    const last = lines?.[lines.length - 1];
    const m = last && /tasks \[([\d,]*)\]/.exec(last);
    return m
      ? m[1]
          .split(',')
          .filter((s) => s.length > 0)
          .map(Number)
      : undefined;
  }

  /** The metrics URL the worker `name` printed (started with --metrics-port), once it has. */
  metricsUrl(name: string): string | undefined {
    for (const l of this.procs.get(name)?.out ?? []) {
      const m = /: metrics on (http:\/\/\S+)/.exec(l);
      if (m) return m[1];
    }
    return undefined;
  }

  /**
   * One cluster node (controller and broker in one process, in `dataDir`) as
   * `node`, once it serves Kafka clients, with a kafkajs client and admin for
   * it and `topic` created with `partitions` (bounded by `deadline`).
   */
  async startNode(opts: {
    dataDir: string;
    workerSessionTimeoutMs: number;
    topic: string;
    partitions: number;
    clientId: string;
    deadline: number;
  }): Promise<{ controllerPort: number; brokerPort: number; kafka: Kafka; admin: Admin }> {
    const ports = await combinedNodePorts();
    const { controllerPort, kafkaPort: brokerPort } = ports;
    const node = this.start('node', ['broker', ...combinedNodeArgs(ports, opts.dataDir), '--worker-session-timeout-ms', String(opts.workerSessionTimeoutMs)]);
    await this.until('the node to serve Kafka clients', opts.deadline, () => node.out.some((l) => l.startsWith('rill broker 1:')));
    const kafka = new Kafka({
      clientId: opts.clientId,
      brokers: [`127.0.0.1:${brokerPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    await admin.connect();
    // The broker takes writes once the controller unfenced it: retry creating the topic until then.
    await this.until(
      'the input topic to be created',
      opts.deadline,
      async () => {
        try {
          await admin.createTopics({ topics: [{ topic: opts.topic, numPartitions: opts.partitions }], waitForLeaders: true });
          return (await admin.fetchTopicMetadata({ topics: [opts.topic] })).topics[0]?.partitions.length === opts.partitions;
        } catch {
          return false;
        }
      },
      200,
    );
    return { controllerPort, brokerPort, kafka, admin };
  }

  /** SIGKILLs whatever still runs and waits for every exit. */
  async killAll(): Promise<void> {
    await Promise.all(
      [...this.procs.values()].map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await p.exited;
      }),
    );
  }
}

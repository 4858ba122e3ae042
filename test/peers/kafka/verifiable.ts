// Kafka's system-test tools, VerifiableProducer and VerifiableConsumer
// (org.apache.kafka.tools), against one broker: the producer sends increasing
// integers and prints each ack, the consumer (a group member) prints each record
// it reads; the two lists must name the same records.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLIENT_JVM_OPTIONS, startJava } from './jvm';

/** One JSON event line of a Verifiable tool. */
interface ToolEvent {
  name: string;
  partition?: number;
  offset?: number;
  value?: string;
  sent?: number;
  acked?: number;
  [k: string]: unknown;
}

function events(stdout: string): ToolEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ToolEvent);
}

export interface VerifiableRun {
  /** "partition:offset" of each record the producer had acked. */
  acked: string[];
  /** "partition:offset" of each record the consumer read (in order, repeats kept). */
  consumed: string[];
  /** Values acked and values read, sorted: the integers sent. */
  ackedValues: string[];
  consumedValues: string[];
  /** The producer's send errors (event lines). */
  sendErrors: ToolEvent[];
  /** The tools' exit codes and stderr, for a failure's message. */
  producerExit: number | null;
  consumerExit: number | null;
  stderr: string;
}

const LIFETIME_MS = 120_000;

/** What VerifiableProducer printed, once it has exited. */
export interface ProducerRun {
  /** "partition:offset" and value of each acked record, in ack order. */
  acked: string[];
  ackedValues: string[];
  sendErrors: ToolEvent[];
  exit: number | null;
  stderr: string;
}

export interface RunningProducer {
  /** Resolves once `n` records are acked (rejects if the producer exits first). */
  acks(n: number): Promise<void>;
  done: Promise<ProducerRun>;
}

export interface VerifiableProducerOptions {
  /** At most this many records a second. */
  throughput?: number;
  /**
   * Producer settings (--producer.config). VerifiableProducer's own are Kafka's
   * system-test ones: no retries, so a record in flight when its leader dies
   * is a send error (not acked).
   */
  config?: Record<string, string>;
}

/** Starts VerifiableProducer: `count` increasing integers with acks=all. */
export function startVerifiableProducer(bootstrap: string, topic: string, count: number, opts: VerifiableProducerOptions = {}): RunningProducer {
  const args = ['--bootstrap-server', bootstrap, '--topic', topic, '--max-messages', String(count), '--acks', '-1'];
  if (opts.throughput !== undefined) args.push('--throughput', String(opts.throughput));
  let configDir: string | undefined;
  if (opts.config) {
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-verifiable-'));
    const file = path.join(configDir, 'producer.properties');
    fs.writeFileSync(
      file,
      Object.entries(opts.config)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    args.push('--producer.config', file);
  }
  const p = startJava('org.apache.kafka.tools.VerifiableProducer', args, { lifetimeMs: LIFETIME_MS });
  const sent: ToolEvent[] = [];
  let acked = 0;
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  p.child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    const fresh = events(lines.join('\n'));
    sent.push(...fresh);
    acked += fresh.filter((e) => e.name === 'producer_send_success').length;
    for (const w of waiters) w();
  });
  p.child.stderr!.on('data', (d) => (stderr += d));
  const done = p.exited.then((exit) => {
    p.child.stdin!.end();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
    sent.push(...events(partial));
    for (const w of waiters) w();
    const successes = sent.filter((e) => e.name === 'producer_send_success');
    return {
      acked: successes.map(at),
      ackedValues: successes.map((e) => String(e.value)).sort(),
      sendErrors: sent.filter((e) => e.name === 'producer_send_error'),
      exit,
      stderr: stderr.slice(-2000),
    };
  });
  let exited = false;
  void done.then(() => (exited = true));
  return {
    done,
    acks: (n) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (acked >= n) resolve();
          else if (exited) reject(new Error(`VerifiableProducer exited after ${acked} acks, before ${n}: ${stderr.slice(-2000)}`));
          else return;
          waiters.delete(check);
        };
        waiters.add(check);
        check();
        void done.then(check);
      }),
  };
}

/** What VerifiableConsumer read: "partition:offset" of each record (in order, repeats kept) and the values, sorted. */
export interface ConsumerRun {
  consumed: string[];
  consumedValues: string[];
  exit: number | null;
  stderr: string;
}

export interface RunningConsumer {
  /** Resolves once `n` records are read (rejects if the consumer exits first). */
  records(n: number): Promise<void>;
  done: Promise<ConsumerRun>;
}

export interface VerifiableConsumerOptions {
  /** Log every request the Java client sends (NetworkClient's DEBUG lines, in `stderr`, all of it). */
  logRequests?: boolean;
  /**
   * The client's auto-commit (committed at close too), which commits each
   * position with its leader epoch; the tool's own commits carry none.
   */
  autoCommit?: boolean;
}

/** Starts VerifiableConsumer reading `count` records of `topic` from the earliest, a group of one (classic protocol). */
export function startVerifiableConsumer(bootstrap: string, topic: string, count: number, opts: VerifiableConsumerOptions = {}): RunningConsumer {
  const args = ['--bootstrap-server', bootstrap, '--topic', topic, '--group-id', `${topic}-verifier`, '--max-messages', String(count)];
  args.push('--verbose', '--reset-policy', 'earliest', '--group-protocol', 'classic');
  if (opts.autoCommit) args.push('--enable-autocommit');
  const jvmOptions = opts.logRequests ? [...CLIENT_JVM_OPTIONS, '-Dpeer.requests.log.level=DEBUG'] : undefined;
  const p = startJava('org.apache.kafka.tools.VerifiableConsumer', args, { lifetimeMs: LIFETIME_MS, jvmOptions });
  const read: ToolEvent[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  p.child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    read.push(...events(lines.join('\n')).filter((e) => e.name === 'record_data'));
    for (const w of waiters) w();
  });
  p.child.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  const done = p.exited.then((exit) => {
    p.child.stdin!.end();
    read.push(...events(partial).filter((e) => e.name === 'record_data'));
    exited = true;
    for (const w of waiters) w();
    return { consumed: read.map(at), consumedValues: read.map((e) => String(e.value)).sort(), exit, stderr: opts.logRequests ? stderr : stderr.slice(-2000) };
  });
  return {
    done,
    records: (n) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (read.length >= n) resolve();
          else if (exited) reject(new Error(`VerifiableConsumer exited after ${read.length} records, before ${n}: ${stderr.slice(-2000)}`));
          else return;
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Reads `count` records of `topic` from the earliest with VerifiableConsumer, a group of one (classic protocol). */
export function verifiableConsume(bootstrap: string, topic: string, count: number): Promise<ConsumerRun> {
  return startVerifiableConsumer(bootstrap, topic, count).done;
}

/** Produces `count` records with acks=all, then consumes them with a group of one (classic protocol). */
export async function verifiableProduceConsume(bootstrap: string, topic: string, count: number): Promise<VerifiableRun> {
  const produced = await startVerifiableProducer(bootstrap, topic, count).done;
  const consumed = await verifiableConsume(bootstrap, topic, count);
  return {
    acked: produced.acked,
    consumed: consumed.consumed,
    ackedValues: produced.ackedValues,
    consumedValues: consumed.consumedValues,
    sendErrors: produced.sendErrors,
    producerExit: produced.exit,
    consumerExit: consumed.exit,
    stderr: `producer: ${produced.stderr}\nconsumer: ${consumed.stderr}`,
  };
}

function at(e: ToolEvent): string {
  return `${e.partition}:${e.offset}`;
}

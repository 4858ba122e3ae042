// Kafka's system-test tools, VerifiableProducer and VerifiableConsumer
// (org.apache.kafka.tools), against one broker: the producer sends increasing
// integers and prints each ack, the consumer (a group member) prints each record
// it reads; the two lists must name the same records.
import { runJava } from './jvm';

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

/** Produces `count` records with acks=all, then consumes them with a group of one (classic protocol). */
export async function verifiableProduceConsume(bootstrap: string, topic: string, count: number): Promise<VerifiableRun> {
  const produced = await runJava(
    'org.apache.kafka.tools.VerifiableProducer',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--max-messages', String(count), '--acks', '-1'],
    {
      lifetimeMs: LIFETIME_MS,
    },
  );
  const consumed = await runJava(
    'org.apache.kafka.tools.VerifiableConsumer',
    [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--group-id',
      `${topic}-verifier`,
      '--max-messages',
      String(count),
      '--verbose',
      '--reset-policy',
      'earliest',
      '--group-protocol',
      'classic',
    ],
    { lifetimeMs: LIFETIME_MS },
  );
  const sent = events(produced.stdout);
  const read = events(consumed.stdout);
  const at = (e: ToolEvent) => `${e.partition}:${e.offset}`;
  const successes = sent.filter((e) => e.name === 'producer_send_success');
  const records = read.filter((e) => e.name === 'record_data');
  return {
    acked: successes.map(at),
    consumed: records.map(at),
    ackedValues: successes.map((e) => String(e.value)).sort(),
    consumedValues: records.map((e) => String(e.value)).sort(),
    sendErrors: sent.filter((e) => e.name === 'producer_send_error'),
    producerExit: produced.code,
    consumerExit: consumed.code,
    stderr: `producer: ${produced.stderr.slice(-2000)}\nconsumer: ${consumed.stderr.slice(-2000)}`,
  };
}

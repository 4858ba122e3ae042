// A kafkajs transactional producer as a child process, for the crash tests that
// kill it with SIGKILL in the middle of a transaction
// (transaction-crash.test.ts). Arguments: bootstrap, transactional id, topic,
// partition count, transaction.timeout.ms, records per partition. It commits one transaction
// ("committed-<partition>-<i>" on every partition) and prints `committed`,
// then sends another ("open-<partition>-<i>") that it never ends and prints
// `open`, and waits to be killed. Its lifetime is bounded: it exits by itself
// after LIFETIME_MS.
import { Kafka, logLevel } from 'kafkajs';

const LIFETIME_MS = 120_000;

const valuesOf = (prefix: string, partitions: number, perPartition: number) =>
  Array.from({ length: partitions }, (_, partition) =>
    Array.from({ length: perPartition }, (_, i) => ({ partition, value: `${prefix}-${partition}-${i}` })),
  ).flat();

async function main(): Promise<void> {
  const [bootstrap, transactionalId, topic, partitionsArg, timeoutArg, perPartitionArg] = process.argv.slice(2);
  const partitions = Number(partitionsArg);
  const perPartition = Number(perPartitionArg);
  setTimeout(() => process.exit(3), LIFETIME_MS).unref();
  const kafka = new Kafka({ clientId: 'txn-crash-child', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: Number(timeoutArg) });
  await producer.connect();
  const committed = await producer.transaction();
  await committed.send({ topic, messages: valuesOf('committed', partitions, perPartition) });
  await committed.commit();
  process.stdout.write('committed\n');
  const open = await producer.transaction();
  await open.send({ topic, messages: valuesOf('open', partitions, perPartition) });
  process.stdout.write('open\n');
  // Stays alive (the timer above is the bound) until the test kills it.
  setInterval(() => {}, 1000);
}

main().catch((e: unknown) => {
  process.stderr.write(`transactional producer child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

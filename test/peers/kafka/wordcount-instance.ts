// One instance of the word count on the kafkajs LogClient, as its own process,
// for tests that kill it with SIGKILL: node -r ./test/support/register-ts.js
// test/peers/kafka/wordcount-instance.ts BOOTSTRAP APP_ID LIFETIME_MS [exactly-once INSTANCE_ID]
// With `exactly-once` it runs with that guarantee under INSTANCE_ID (its
// transactional id's suffix: a restart under the same id fences the killed
// incarnation). It prints "assigned P,Q,..." after every rebalance, and exits by itself
// once its lifetime is up.
import { kafkaLogClient, type LogClient } from '../../../core/client';
import { createLogger } from '../../../core/logging';
import { memoryLogger, RillStreams, type Logger, type RebalanceEvent } from '../../../dsl';
import { wordCountTopology } from '../../../examples/wordcount/topology';

/** The group settings both sides of a kill test use: kafkajs learns of a rebalance at its next heartbeat. */
export const KILL_TEST_GROUP = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 5_000 };

/** The word count as every instance of a kill test runs it (exactly-once under `exactlyOnceAs` when given). */
export function wordCountInstance(
  log: LogClient,
  applicationId: string,
  onRebalance: (e: RebalanceEvent) => void,
  exactlyOnceAs?: string,
  logger: Logger = memoryLogger(),
): RillStreams {
  return new RillStreams(wordCountTopology(applicationId), {
    log,
    logger,
    commitIntervalMs: 50,
    group: KILL_TEST_GROUP,
    ...(exactlyOnceAs === undefined ? {} : { processingGuarantee: 'exactly-once' as const, instanceId: exactlyOnceAs }),
    onRebalance,
  });
}

async function main(bootstrap: string, applicationId: string, lifetimeMs: number, exactlyOnceAs?: string): Promise<void> {
  setTimeout(() => process.exit(2), lifetimeMs).unref();
  const log = kafkaLogClient({ brokers: [bootstrap], clientId: `${applicationId}-child` });
  // Its warnings go to stderr, which a failing test shows.
  const logger = createLogger({ level: 'warn' });
  const app: RillStreams = wordCountInstance(
    log,
    applicationId,
    () => process.stdout.write(`assigned ${app.assignedPartitions.join(',')}\n`),
    exactlyOnceAs,
    logger,
  );
  // Runs until killed (or its lifetime is up): the consumer's connections keep the process alive.
  await app.start();
}

if (require.main === module) {
  const [bootstrap, applicationId, lifetime, guarantee, instanceId] = process.argv.slice(2);
  if (guarantee !== undefined && (guarantee !== 'exactly-once' || instanceId === undefined)) {
    process.stderr.write(`usage: wordcount-instance.ts BOOTSTRAP APP_ID LIFETIME_MS [exactly-once INSTANCE_ID], not ${guarantee} ${instanceId}\n`);
    process.exit(2);
  }
  main(bootstrap, applicationId, Number(lifetime), instanceId).catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
}

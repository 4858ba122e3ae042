// After CreateTopics, a Kafka cluster shows the new topics a little later, in
// two steps, and kafkajs waits for neither well:
// - Metadata: Apache Kafka's controller has the topic at once, but a broker
//   answers UNKNOWN_TOPIC_OR_PARTITION (3) or LEADER_NOT_AVAILABLE (5) until it
//   has applied the change. kafkajs' own createTopics({ waitForLeaders })
//   retries only the second and gives up on the first (seen on Apache Kafka 4.4
//   on a loaded machine: an example failed creating its topics). So the kafkajs
//   LogClient creates without waiting and waits here (waitForTopics).
// - The leader itself: a KRaft broker publishes a new topic to its metadata
//   cache before its replica manager has made (and opened the log of) the
//   partition it leads, so for a moment Metadata names the leader while that
//   leader answers ListOffsets with NOT_LEADER_OR_FOLLOWER (6). kafkajs' admin
//   fetchTopicOffsets gives up on it at once (seen on Apache Kafka on a loaded
//   machine: an example's changelog restore failed just after creating the
//   topic; and a producer without retries, as Kafka's VerifiableProducer, gets
//   a send error). So waitForTopics also waits until every partition's leader
//   answers ListOffsets, and offsets are listed here, treating 5 and 6 as "not
//   yet" (listOffsets). kafkajs' admin asks Metadata again on every call, so
//   this also finds a leader that moved after an election.
import type { Admin } from 'kafkajs';

/** Metadata error codes that mean "the broker has not applied the new topic yet". */
const NOT_IN_METADATA_YET = new Set([3, 5]);
/** ListOffsets error codes that mean "the partition's leader does not serve it yet". */
const NOT_LED_YET = new Set([5, 6]);
/** While waiting for new topics, either (a broker other than the one Metadata asked may not know the topic yet). */
const NOT_READY_YET = new Set([...NOT_IN_METADATA_YET, ...NOT_LED_YET]);

export interface TopicReadinessOptions {
  /** Gives up after this long (default 30 s) with an error naming the topics. */
  timeoutMs?: number;
  /** Told why the topics are not ready, before each wait. */
  onNotReady?: (reason: string) => void;
}

/** A partition's offsets as kafkajs' admin lists them (high: the last stable offset). */
export type KafkaTopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/** Resolves once the cluster's metadata shows every topic with a leader for every partition, and those leaders serve them. */
export async function waitForTopics(admin: Admin, topics: readonly string[], options: TopicReadinessOptions = {}): Promise<void> {
  await untilReady(`topics ${topics.join(', ')} are not ready`, () => notReady(admin, topics), options);
}

/**
 * The topic's offsets per partition, as admin.fetchTopicOffsets gives them,
 * asked again (with a backoff, up to the timeout) while a partition's leader
 * does not serve it yet.
 */
export async function listOffsets(admin: Pick<Admin, 'fetchTopicOffsets'>, topic: string, options: TopicReadinessOptions = {}): Promise<KafkaTopicOffsets> {
  let offsets: KafkaTopicOffsets | undefined;
  await untilReady(
    `the offsets of ${topic} cannot be listed`,
    async () => {
      try {
        offsets = await admin.fetchTopicOffsets(topic);
        return undefined;
      } catch (e) {
        return notYetReason(e, NOT_LED_YET);
      }
    },
    options,
  );
  return offsets!;
}

/** Asks `check` (undefined: ready; else why not) until it says ready, backing off from 20 to 500 ms; rejects at the timeout. */
async function untilReady(failure: string, check: () => Promise<string | undefined>, options: TopicReadinessOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const reason = await check();
    if (reason === undefined) return;
    if (Date.now() >= deadline) throw new Error(`${failure} after ${timeoutMs} ms: ${reason}`);
    options.onNotReady?.(reason);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

/** Why the topics are not ready yet, or undefined when they are. */
async function notReady(admin: Admin, topics: readonly string[]): Promise<string | undefined> {
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
    for (const name of topics) {
      const t = found.find((x) => x.name === name);
      if (t === undefined || t.partitions.length === 0) return `${name} is not in the metadata yet`;
      const leaderless = t.partitions.filter((p) => p.leader < 0);
      if (leaderless.length > 0) return `${name} has no leader yet for partition(s) ${leaderless.map((p) => p.partitionId).join(', ')}`;
    }
  } catch (e) {
    return notYetReason(e, NOT_IN_METADATA_YET);
  }
  for (const name of topics) {
    try {
      await admin.fetchTopicOffsets(name);
    } catch (e) {
      return `${name}: ${notYetReason(e, NOT_READY_YET)}`;
    }
  }
  return undefined;
}

/** The error's message when its Kafka code is one of `notYet`; rethrows any other error. */
function notYetReason(e: unknown, notYet: ReadonlySet<number>): string {
  // kafkajs' protocol errors carry the Kafka code (on the cause when a retry gave up).
  const err = e as { code?: number; cause?: { code?: number }; message: string };
  const code = err.code ?? err.cause?.code;
  if (code !== undefined && notYet.has(code)) return err.message;
  throw e;
}

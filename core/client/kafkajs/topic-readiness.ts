// After CreateTopics, a Kafka cluster's metadata shows the new topics a little
// later: Apache Kafka's controller has them at once, but a broker answers
// Metadata with UNKNOWN_TOPIC_OR_PARTITION (3) or LEADER_NOT_AVAILABLE (5)
// until it has applied the change. kafkajs' own createTopics({ waitForLeaders })
// retries only the second and gives up on the first (seen on Apache Kafka 4.4
// on a loaded machine: an example failed creating its topics). So the kafkajs
// LogClient creates without waiting and waits here, treating both as "not yet".
import type { Admin } from 'kafkajs';

/** Metadata error codes that mean "the broker has not applied the new topic yet". */
const NOT_YET = new Set([3, 5]);

export interface TopicReadinessOptions {
  /** Gives up after this long (default 30 s) with an error naming the topics. */
  timeoutMs?: number;
  /** Told why the topics are not ready, before each wait. */
  onNotReady?: (reason: string) => void;
}

/** Resolves once the cluster's metadata shows every topic with a leader for every partition. */
export async function waitForTopics(admin: Admin, topics: readonly string[], options: TopicReadinessOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const reason = await notReady(admin, topics);
    if (reason === undefined) return;
    if (Date.now() >= deadline) throw new Error(`topics ${topics.join(', ')} are not ready after ${timeoutMs} ms: ${reason}`);
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
    return undefined;
  } catch (e) {
    // kafkajs' protocol errors carry the Kafka code (on the cause when a retry gave up).
    const err = e as { code?: number; cause?: { code?: number }; message: string };
    const code = err.code ?? err.cause?.code;
    if (code !== undefined && NOT_YET.has(code)) return err.message;
    throw e;
  }
}

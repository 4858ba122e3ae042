// A real broker on a temp dir behind a real TCP server on port 0, for tests that
// drive it with real Kafka clients.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, BrokerOptions } from '../../../core/broker';
import { loggerTo } from '../../../core/logging';
import { KafkaServer, KafkaServerOptions } from '../../../core/protocol';

export interface TestCluster {
  broker: Broker;
  server: KafkaServer;
  dir: string;
  /** "127.0.0.1:port" */
  bootstrap: string;
  /** The listener's log messages, every level. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestCluster(options: { broker?: Partial<BrokerOptions>; server?: Partial<KafkaServerOptions> } = {}): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-protocol-'));
  const broker = Broker.open({ dir, scheduler: false, ...options.broker });
  const logs: string[] = [];
  const logger = loggerTo((line) => logs.push(line.msg));
  const server = await KafkaServer.start({ broker, port: 0, host: '127.0.0.1', logger, ...options.server });
  return {
    broker,
    server,
    dir,
    bootstrap: `127.0.0.1:${server.port}`,
    logs,
    async stop() {
      await server.close(2000);
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `check` holds, polling on a short interval; rejects after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One topic of a Fetch request: by name (v4 to v12) or by id (v13+), and the partitions wanted from their offsets. */
export interface FetchTopicWanted {
  readonly topic?: string;
  readonly topicId?: string;
  readonly partitions: readonly { partition: number; fetchOffset: number }[];
}

/** A Fetch request body for any version from 4 to 16 (fields a version lacks are left out when it is encoded). */
export function fetchTopicsBody(topics: readonly FetchTopicWanted[], options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {}): object {
  const maxBytes = options.maxBytes ?? 1 << 20;
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map(({ partitions, ...named }) => ({
      ...named,
      partitions: partitions.map((p) => ({ ...p, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** A Fetch request body reading `topic`'s partitions from the given offsets. */
export function fetchRequestBody(
  topic: string,
  partitions: { partition: number; fetchOffset: number }[],
  options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {},
): object {
  return fetchTopicsBody([{ topic, partitions }], options);
}

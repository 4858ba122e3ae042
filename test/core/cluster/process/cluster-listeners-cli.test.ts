// `rill broker --controllers ... --listeners ...` (run in this process): a
// cluster node with an INTERNAL and an EXTERNAL listener registers both, says
// so in its ready line, and Metadata on each listener names the broker at that
// listener's advertised address; settings that do not go together are usage
// errors (exit 2).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBroker } from '../../../../cli/broker-command';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { fakeIO } from '../../../cli/fake-io';
import { freePortPair } from '../../../support/ports';
import { soleControllerNodeArgs } from '../../../support/node-args';

const DEADLINE_MS = 30_000;

async function brokersOn(port: number): Promise<string[]> {
  const c = await KafkaConnection.connect(`127.0.0.1:${port}`, { timeoutMs: 10_000 });
  try {
    const m = await c.request<apis.MetadataResponse>(apis.metadata, {
      topics: [],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return m.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`);
  } finally {
    c.close();
  }
}

describe('a cluster node with several Kafka listeners', () => {
  it(
    'registers INTERNAL and EXTERNAL and answers Metadata on each with its own addresses',
    async () => {
      const taken = new Set<number>();
      const controller = await freePortPair(taken);
      const internal = await freePortPair(taken);
      const external = await freePortPair(taken);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cluster-listeners-'));
      const io = fakeIO();
      const stop = new AbortController();
      const running = runBroker(
        [
          ...soleControllerNodeArgs(controller, dir),
          '--listeners',
          `INTERNAL://127.0.0.1:${internal},EXTERNAL://127.0.0.1:${external}`,
          '--listener-security-protocol-map',
          'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
          '--advertised-listeners',
          `EXTERNAL://localhost:${external}`,
        ],
        io,
        stop.signal,
      );
      try {
        const deadline = Date.now() + DEADLINE_MS;
        while (!io.out().includes('rill broker 1:')) {
          if (Date.now() > deadline) throw new Error(`the node printed no ready line: ${io.out()} ${io.err()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(io.out()).toContain(
          `rill broker 1: Kafka listeners INTERNAL on 127.0.0.1:${internal}, EXTERNAL on localhost:${external}, replication on ${internal + 1}`,
        );
        // The broker is listed once it has registered: poll Metadata (bounded).
        let seen: string[] = [];
        while (seen.length === 0) {
          if (Date.now() > deadline) throw new Error('the broker never listed itself');
          seen = await brokersOn(internal);
        }
        expect(seen).toEqual([`1@127.0.0.1:${internal}`]);
        expect(await brokersOn(external)).toEqual([`1@localhost:${external}`]);
      } finally {
        stop.abort();
        expect(await running).toBe(0);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    DEADLINE_MS + 10_000,
  );

  it('refuses --listeners with --port, and a first listener without a port of its own', async () => {
    const run = async (args: string[]) => {
      const t = fakeIO();
      const code = await runBroker(['--node-id', '1', '--controllers', '1@127.0.0.1:9093', '--data-dir', '/tmp/x', ...args], t, new AbortController().signal);
      return { code, err: t.err() };
    };
    const withPort = await run(['--listeners', 'PLAINTEXT://127.0.0.1:9092', '--port', '9092']);
    expect(withPort.code).toBe(2);
    expect(withPort.err).toContain('--listeners names every address and port: leave out --host and --port');
    const anyPort = await run(['--listeners', 'PLAINTEXT://127.0.0.1:0']);
    expect(anyPort.code).toBe(2);
    expect(anyPort.err).toContain('the first listener needs a port of its own');
  });
});

// KIP-368 from the client's side: Rill's KafkaConnection re-authenticates on
// its own before the session the broker gave it (connections.max.reauth.ms)
// ends, and the requests it is asked for meanwhile wait for the exchange
// instead of reaching the broker in the middle of it (which closes the
// connection). The broker's half (expiry, same principal) is tested with a
// fake clock in sasl-listener.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { apis, KafkaConnection, sasl } from '../../../../core/protocol';
import { startTestCluster, type TestCluster } from '../harness';

/** The client re-authenticates a second before it ends: far more than a loaded machine's pauses between a request's write and its reading. */
const LIFETIME_MS = 3000;
const DEADLINE_MS = 30_000;

let dir: string;
let store: sasl.FileCredentialStore;
let cluster: TestCluster;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-reauth-'));
  store = new sasl.FileCredentialStore(dir);
  await store.upsert('alice', sasl.scramCredential(sasl.SCRAM_SHA_256, 'alice-pw', sasl.MIN_SCRAM_ITERATIONS));
  await store.upsert('bob', sasl.scramCredential(sasl.SCRAM_SHA_256, 'bob-pw', sasl.MIN_SCRAM_ITERATIONS));
  cluster = await startTestCluster({
    server: { sasl: { mechanisms: ['PLAIN', 'SCRAM-SHA-256'], security: sasl.credentialStorePort(store), reauthMs: LIFETIME_MS } },
  });
});

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a connection re-authenticates before its session ends and keeps serving requests made during the exchange', async () => {
  const conn = await KafkaConnection.connect(cluster.bootstrap, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-pw' } });
  try {
    const deadline = Date.now() + DEADLINE_MS;
    let answered = 0;
    // Requests keep flowing, three at a time, so that some are made while a re-authentication runs.
    while (conn.reauthentications < 2) {
      if (Date.now() > deadline) throw new Error(`no second re-authentication within ${DEADLINE_MS} ms (${conn.reauthentications} so far)`);
      const answers = await Promise.all([0, 1, 2].map(() => conn.request<apis.MetadataResponse>(apis.metadata, { topics: [] })));
      answered += answers.length;
    }
    expect(answered).toBeGreaterThan(0);
    expect(conn.closed).toBe(false);
    const after = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [] });
    expect(after.brokers).toHaveLength(1);
  } finally {
    conn.close();
  }
  expect(cluster.logs.filter((l) => l.includes('closing connection'))).toEqual([]);
});

test('a refused re-authentication (the user was deleted) closes the connection with a clear error', async () => {
  const conn = await KafkaConnection.connect(cluster.bootstrap, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-pw' } });
  try {
    await conn.request(apis.metadata, { topics: [] });
    await store.delete('bob', sasl.SCRAM_SHA_256);
    const deadline = Date.now() + DEADLINE_MS;
    // Each request either is answered (the session still runs) or fails once the re-authentication is refused.
    let failure: Error | undefined;
    while (failure === undefined) {
      if (Date.now() > deadline) throw new Error(`the connection still served bob ${DEADLINE_MS} ms after his deletion`);
      failure = await conn.request(apis.metadata, { topics: [] }).then(
        () => undefined,
        (e: Error) => e,
      );
    }
    expect(failure.message).toMatch(/SASL re-authentication failed: SASL authentication as "bob" failed/);
    expect(conn.closed).toBe(true);
  } finally {
    conn.close();
  }
});

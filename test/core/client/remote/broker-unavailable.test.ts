// A consumer of the Rill protocol client whose broker is gone for good: its
// fetches are retried with the client's backoff until brokerUnavailableTimeoutMs,
// then poll() fails with that reason (an application stops on it), instead of
// the fetch loop retrying forever. Within the deadline it keeps waiting.
import { KafkaServer } from '../../../../core/protocol';
import { protocolLogClient } from '../../../../core/client';
import { openTempRill, type TempRill } from '../../../connectors/support';

let t: TempRill;

beforeAll(() => {
  t = openTempRill();
});
afterAll(async () => {
  await t?.close();
});

test('poll() fails once the broker has been unreachable for brokerUnavailableTimeoutMs', async () => {
  await t.rill.admin.createTopics([{ name: 'gone', partitions: 1 }]);
  await t.rill.producer().send('gone', [{ key: 'k', value: 'v' }]);
  const server = await KafkaServer.start({ broker: t.rill.broker, port: 0, host: '127.0.0.1' });
  const client = protocolLogClient({ brokers: [`127.0.0.1:${server.port}`], maxWaitMs: 50, brokerUnavailableTimeoutMs: 1500 });
  try {
    const consumer = client.consumer({ groupId: 'g' });
    await consumer.assign([{ topic: 'gone', partition: 0 }]);
    const first: string[] = [];
    while (first.length === 0) first.push(...(await consumer.poll(10, 100)).map((r) => r.value!.toString()));
    expect(first).toEqual(['v']);
    await server.close(1000);
    let failure: Error | undefined;
    let emptyPolls = 0;
    // Bounded: the deadline is 1.5 s; the test's own timeout stops a consumer that never fails.
    while (failure === undefined) {
      try {
        expect(await consumer.poll(10, 100)).toEqual([]);
        emptyPolls++;
      } catch (e) {
        failure = e as Error;
      }
    }
    expect(failure.message).toMatch(/^cannot fetch gone-0 at offset 1: the cluster could not serve it within 1500 ms \(last: .*connect ECONNREFUSED/);
    // It waited for the deadline (polls kept answering "nothing yet") before failing.
    expect(emptyPolls).toBeGreaterThan(0);
    await consumer.close();
  } finally {
    await client.close();
  }
}, 20_000);

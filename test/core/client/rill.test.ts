import { isRight } from 'fp-ts/Either';
import { Rill } from '../../../core/client';
import { tempDir } from '../broker/helpers';

describe('Rill.open', () => {
  it('runs the README example: produce, consume in a group, restart, resume', async () => {
    const t = tempDir('rill-open-');
    try {
      // --- the README snippet ---
      const rill = Rill.open({ dir: t.dir });
      await rill.admin.createTopics([{ name: 'orders', partitions: 3 }]);

      const producer = rill.producer();
      await producer.send('orders', [
        { key: 'alice', value: JSON.stringify({ total: 42 }) },
        { key: 'bob', value: JSON.stringify({ total: 7 }) },
      ]);

      const consumer = rill.consumer({ groupId: 'billing', autoOffsetReset: 'earliest' });
      await consumer.subscribe(['orders']);
      const seen: string[] = [];
      for await (const record of consumer) {
        seen.push(`${record.key}: ${record.value}`);
        if (seen.length === 2) break;
      }
      await rill.close();
      // --- end ---
      expect(seen.sort()).toEqual(['alice: {"total":42}', 'bob: {"total":7}']);

      const again = Rill.open({ dir: t.dir });
      expect(await again.admin.listTopics()).toEqual(['orders']);
      const lag = await again.admin.lag('billing');
      expect(lag.reduce((s, l) => s + l.lag, 0)).toBe(0);
      expect(isRight(again.broker.ensureSchemasTopic())).toBe(true);
      expect((await again.admin.describeTopics(['_schemas']))[0].config['cleanup.policy']).toBe('compact');
      await again.close();
    } finally {
      t.cleanup();
    }
  });
});

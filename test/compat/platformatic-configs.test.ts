// IncrementalAlterConfigs (44), as Kafka's own tools send it, in both modes:
// @platformatic/kafka's admin sets, appends to, subtracts from and deletes a
// topic's overrides, keys not named keep their values; a malformed operation
// is refused with a clear error and changes nothing.
import * as path from 'node:path';
import { apis } from '../../core/protocol';
import { run } from '../core/protocol/children';
import { describeModes } from './modes';
import { ask, bootstrapOf, createTopics } from './targets';

const PLATFORMATIC = path.join(__dirname, '../core/protocol/platformatic-client.mjs');
const INVALID_CONFIG = 40;

describeModes('platformatic-configs', ({ target, kafka, test }) => {
  /** The overrides of `topic` after `ops`, through @platformatic/kafka in a child process. */
  async function alter(topic: string, ops: { name: string; configOperation: number; value?: string }[]): Promise<Record<string, string>> {
    const r = await run(process.execPath, [PLATFORMATIC, 'configs', bootstrapOf(target()).join(','), topic, JSON.stringify(ops)], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`platformatic configs failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
  }

  const createTuned = (topic: string) =>
    createTopics(target(), kafka(), [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1048576' }] }]);

  test('SET, APPEND, SUBTRACT and DELETE change only the keys they name', async () => {
    await createTuned('tuned');
    expect(
      await alter('tuned', [
        { name: 'retention.ms', configOperation: 0, value: '120000' },
        { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
      ]),
    ).toEqual({
      'segment.bytes': '1048576',
      'retention.ms': '120000',
      'cleanup.policy': 'compact,delete',
    });
    expect(
      await alter('tuned', [
        { name: 'retention.ms', configOperation: 1 },
        { name: 'cleanup.policy', configOperation: 3, value: 'delete' },
      ]),
    ).toEqual({
      'segment.bytes': '1048576',
      'cleanup.policy': 'compact',
    });
  });

  test('an operation that cannot apply is refused with the reason, and nothing changes', async () => {
    await createTuned('refused');
    const r = await ask<apis.IncrementalAlterConfigsResponse>(bootstrapOf(target())[0], apis.incrementalAlterConfigs, {
      resources: [
        {
          resourceType: 2,
          resourceName: 'refused',
          configs: [
            { name: 'segment.bytes', configOperation: 0, value: '2097152' },
            { name: 'retention.ms', configOperation: 2, value: '5' },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(r.responses[0]).toMatchObject({ errorCode: INVALID_CONFIG, errorMessage: expect.stringContaining('retention.ms is not a list') });
    expect(await alter('refused', [])).toEqual({ 'segment.bytes': '1048576' });
  });
});

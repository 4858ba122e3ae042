// How the Kafka protocol clients (`rill group`, `rill consume --group`, the
// Rill protocol LogClient) find a group's coordinator:
// COORDINATOR_NOT_AVAILABLE is asked again (the offsets topic may be being
// created, or electing a leader) for about 15 s (backing off with jitter), then given up with a clear
// error; any other error is reported at once. Time is a fake clock.
import { coordinatorAddress } from '../../../../core/client';
import type { KafkaConnection } from '../../../../core/protocol';

const COORDINATOR_NOT_AVAILABLE = 15;
const GROUP_AUTHORIZATION_FAILED = 30;

/** A connection whose FindCoordinator always answers `errorCode`; counts the requests. */
function answering(errorCode: number, errorMessage: string | null = null): { conn: KafkaConnection; asked: () => number } {
  let asked = 0;
  const conn = {
    versionFor: () => 4,
    request: async () => {
      asked++;
      return {
        throttleTimeMs: 0,
        errorCode,
        errorMessage,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: [{ key: 'g', nodeId: -1, host: '', port: -1, errorCode, errorMessage }],
      };
    },
  } as unknown as KafkaConnection;
  return { conn, asked: () => asked };
}

describe('finding a group coordinator', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks again while the coordinator is not available, then gives up with the reason', async () => {
    const { conn, asked } = answering(COORDINATOR_NOT_AVAILABLE, 'The __consumer_offsets partition of this group has no live leader yet; retry.');
    const found = coordinatorAddress(conn, 'g');
    const outcome = found.then(
      () => 'found',
      (e: Error) => e.message,
    );
    await jest.advanceTimersByTimeAsync(14_000);
    expect(await Promise.race([outcome, 'pending'])).toBe('pending');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await outcome).toMatch(
      /^cannot find the coordinator of group "g": .*\(last: The __consumer_offsets partition of this group has no live leader yet; retry.\)$/,
    );
    // Backing off from 100 ms to 1 s: about one request a second, not a hot loop.
    expect(asked()).toBeGreaterThan(10);
    expect(asked()).toBeLessThan(25);
  });

  it('reports any other error at once', async () => {
    const { conn, asked } = answering(GROUP_AUTHORIZATION_FAILED);
    await expect(coordinatorAddress(conn, 'g')).rejects.toThrow(/cannot find the coordinator of group "g"/);
    expect(asked()).toBe(1);
  });
});

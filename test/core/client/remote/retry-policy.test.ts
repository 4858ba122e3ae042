// The Kafka protocol client's one retry policy: a growing, jittered backoff
// (100 ms doubling to 1 s, ±20 %), retries of broken connections and "not
// here" answers until its deadline, then one error naming what failed and
// why; other errors and a closed client are not retried. Time is a fake clock.
import { KafkaClientError } from '../../../../core/protocol';
import { RetryLater, RetryPolicy } from '../../../../core/client';

describe('RetryPolicy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('backs off from 100 ms doubling to 1 s, within ±20 % jitter', () => {
    const low = new RetryPolicy({ random: () => 0 });
    const high = new RetryPolicy({ random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 10].map((n) => low.delayMs(n))).toEqual([80, 160, 320, 640, 800, 800]);
    expect([0, 1, 2, 3, 4, 10].map((n) => high.delayMs(n))).toEqual([120, 240, 480, 960, 1200, 1200]);
  });

  it('retries connection failures and RetryLater until an answer', async () => {
    const policy = new RetryPolicy({ timeoutMs: 10_000 });
    let n = 0;
    const errors: string[] = [];
    const r = policy.run(
      'asking',
      async () => {
        n++;
        if (n === 1) throw new KafkaClientError('cannot connect');
        if (n === 2) return new RetryLater('the leader moved');
        return 'answer';
      },
      { onError: (e) => errors.push(e.message) },
    );
    await jest.advanceTimersByTimeAsync(1000);
    expect(await r).toBe('answer');
    expect({ n, errors }).toEqual({ n: 3, errors: ['cannot connect'] });
  });

  it('retries a RetryLater that says where to go now at once, without a pause', async () => {
    const policy = new RetryPolicy({ timeoutMs: 10_000 });
    let n = 0;
    const r = policy.run('producing', async () => (++n < 3 ? new RetryLater('the leader moved', { now: true }) : 'answer'));
    // No timer is advanced: the attempts run back to back.
    expect(await r).toBe('answer');
    expect(n).toBe(3);
  });

  it('gives up after its deadline with what failed and the last reason, about once a second meanwhile', async () => {
    const policy = new RetryPolicy({ timeoutMs: 30_000 });
    let n = 0;
    const outcome = policy
      .run('cannot fetch t-0', async () => {
        n++;
        throw new KafkaClientError('connect ECONNREFUSED');
      })
      .then(
        () => 'answered',
        (e: Error) => e.message,
      );
    await jest.advanceTimersByTimeAsync(29_000);
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
    await jest.advanceTimersByTimeAsync(2_000);
    expect(await outcome).toBe('cannot fetch t-0: the cluster could not serve it within 30000 ms (last: connect ECONNREFUSED)');
    expect(n).toBeGreaterThan(25);
    expect(n).toBeLessThan(45);
  });

  it('does not retry other errors, nor anything once the client is closed', async () => {
    const policy = new RetryPolicy();
    let n = 0;
    await expect(
      policy.run('x', async () => {
        n++;
        throw new Error('a bug');
      }),
    ).rejects.toThrow('a bug');
    await expect(
      policy.run(
        'x',
        async () => {
          n++;
          throw new KafkaClientError('the client is closed');
        },
        { stopped: () => true },
      ),
    ).rejects.toThrow('the client is closed');
    expect(n).toBe(2);
  });
});

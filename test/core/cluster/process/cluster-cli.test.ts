// `rill broker --controllers ...` flag handling: clear usage errors (exit 2),
// and the cluster help text.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBroker } from '../../../../cli/broker-command';
import { render, runCluster } from '../../../../cli/cluster-status-command';
import { fakeIO } from '../../../cli/fake-io';

const run = async (args: string[]) => {
  const t = fakeIO();
  const code = await runBroker(args, t, new AbortController().signal);
  return { code, out: t.out(), err: t.err() };
};

describe('rill broker in cluster mode: flags', () => {
  it('explains a malformed controller list', async () => {
    const r = await run(['--controller', '--node-id', '1', '--controllers', '1@localhost', '--data-dir', '/tmp/x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--controllers: "1@localhost" is not ID@HOST:PORT (e.g. 1@127.0.0.1:9093)');
  });

  it('requires a node id and a data directory', async () => {
    expect((await run(['--controllers', '1@127.0.0.1:9093', '--data-dir', '/tmp/x'])).err).toContain('--node-id N (a non-negative integer) is required');
    expect((await run(['--node-id', '1', '--controllers', '1@127.0.0.1:9093'])).err).toContain('--data-dir DIR is required');
  });

  it('checks --rack: a name without spaces, and only for a node that runs a broker', async () => {
    const bad = await run(['--node-id', '1', '--controllers', '1@127.0.0.1:9093', '--data-dir', '/tmp/x', '--rack', 'rack one']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--rack: "rack one" is not a rack name');
    const controllerOnly = await run(['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:9093', '--data-dir', '/tmp/x', '--rack', 'a']);
    expect(controllerOnly.code).toBe(2);
    expect(controllerOnly.err).toContain('--rack is a broker setting');
  });

  it('takes --join only for a controller', async () => {
    const r = await run(['--join', '--node-id', '4', '--controllers', '1@127.0.0.1:9093', '--port', '9092', '--data-dir', '/tmp/x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--join is for a controller (--controller) joining an existing quorum');
  });

  it('refuses a controller whose id is not in the quorum', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cli-'));
    const r = await run(['--controller', '--node-id', '4', '--controllers', '1@127.0.0.1:1', '--data-dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.err).toContain('node id 4 is not among the controllers [1]');
  });

  it('prints the cluster help', async () => {
    const r = await run(['--controllers', 'x', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('rill broker --controller --node-id N --controllers');
  });
});

describe('rill cluster status: flags and rendering', () => {
  const status = async (args: string[]) => {
    const t = fakeIO();
    const code = await runCluster(args, t);
    return { code, out: t.out(), err: t.err() };
  };

  it('explains bad usage with exit code 2', async () => {
    expect(await status([])).toMatchObject({ code: 2, err: expect.stringContaining('give an action: status') });
    expect(await status(['stats', '--controllers', '1@127.0.0.1:9093'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown action "stats"; use status'),
    });
    expect(await status(['status'])).toMatchObject({ code: 2, err: expect.stringContaining('--controllers 1@HOST:PORT,... is required') });
    expect(await status(['status', '--controllers', '1@nowhere'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--controllers: "1@nowhere" is not ID@HOST:PORT'),
    });
    expect(await status(['status', '--controllers', '1@127.0.0.1:9093', '--timeout-ms', '0'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--timeout-ms must be a positive integer'),
    });
    expect((await status(['--help'])).out).toContain('rill cluster status --controllers');
  });

  it('renders workers with their tasks and standbys, and the warnings', () => {
    const text = render({
      leader: 2,
      term: 7,
      metadataIndex: 42,
      controllers: [
        { id: 1, address: '127.0.0.1:9101', error: 'controller 1 at 127.0.0.1:9101 did not answer: refused' },
        {
          id: 2,
          address: '127.0.0.1:9103',
          quorum: {
            nodeId: 2,
            role: 'leader',
            term: 7,
            leader: 2,
            commitIndex: 42,
            appliedIndex: 42,
            lastIndex: 42,
            active: true,
            replication: [
              { id: 1, learner: false, match: 30, next: 31, state: 'probe', lag: 12, lastAckMsAgo: null, lastCaughtUpMsAgo: 5300 },
              { id: 2, learner: false, match: 42, next: 43, state: 'replicate', lag: 0, lastAckMsAgo: 0, lastCaughtUpMsAgo: 0 },
              { id: 4, learner: true, match: 40, next: 43, state: 'replicate', lag: 2, lastAckMsAgo: 15, lastCaughtUpMsAgo: 120 },
            ],
          },
        },
      ],
      brokers: [{ id: 1, address: '127.0.0.1:9092', rack: null, brokerEpoch: 5, fenced: true }],
      topics: [],
      partitions: [
        {
          topic: 't',
          partition: 0,
          leader: 2,
          leaderEpoch: 3,
          partitionEpoch: 4,
          isr: [2],
          replicas: [
            { broker: 2, inIsr: true, logEndOffset: 10, highWatermark: 10, lag: 0 },
            { broker: 1, inIsr: false },
          ],
        },
      ],
      apps: [
        {
          app: 'wordcount',
          generation: 3,
          workers: [{ workerId: 'w1', workerEpoch: 9, tasks: ['0_0', '0_1'], standbys: ['0_2'] }],
          tasks: [{ task: '0_0', owner: 'w1', taskEpoch: 1, standbys: [] }],
        },
      ],
      warnings: ['controller 1 at 127.0.0.1:9101 did not answer: refused'],
    });
    expect(text).toContain('Controllers (active: 2, term 7, metadata index 42)');
    expect(text).toMatch(/\n {2}ID +ADDRESS +ROLE +TERM +COMMIT +APPLIED +MATCH +LAG +LAST ACK +CAUGHT UP\n/);
    // Each controller's replication as the active one sees it; a member missing from the list still shows.
    expect(text).toMatch(/\n {2}1 +127\.0\.0\.1:9101 +unreachable +- +- +- +30 +12 +never +5300 ms ago\n/);
    expect(text).toMatch(/\n {2}2 +127\.0\.0\.1:9103 +leader \(active\) +7 +42 +42 +42 +0 +- +-\n/);
    expect(text).toMatch(/\n {2}4 +\(not listed\) +learner +- +- +- +40 +2 +15 ms ago +120 ms ago\n/);
    expect(text).toMatch(/\n {2}1 +127\.0\.0\.1:9092 +- +5 +fenced/);
    expect(text).toMatch(/\n {2}t +0 +2 +3 +\[2\] +2:10\/0 1\(out of ISR\):\?\/\?/);
    expect(text).toMatch(/\n {2}wordcount +3 +w1 +9 +0_0,0_1 +0_2/);
    expect(text).toContain('Warnings\n  controller 1 at 127.0.0.1:9101 did not answer: refused');
  });
});

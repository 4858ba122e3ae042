// Issue 20 items 6-7: the `rill` tools behave as Unix tools. A reader that
// goes away (`| head -1`: EPIPE) ends a command quietly, a consumer in a group
// committing and leaving it; a broker stops at once on SIGINT with a
// long-polling consumer attached; a cluster node says it stopped.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { runGroup } from '../../cli/group-command';
import { runProduce } from '../../cli/produce-command';
import { apis, KafkaConnection } from '../../core/protocol';
import { startTestCluster, TestCluster } from '../core/protocol/harness';
import { freePortPair } from '../support/ports';
import { tempDirs } from '../support/tmp-dir';
import { fakeIO } from './fake-io';
import { CliProcs } from './worker-procs';

const ROOT = path.resolve(__dirname, '../..');
const dirs = tempDirs('unix-tool');
let cluster: TestCluster;
let b: string[];

beforeAll(async () => {
  cluster = await startTestCluster();
  b = ['--bootstrap', cluster.bootstrap];
  // More than a pipe buffer holds, so a consumer is still writing when its reader leaves.
  const lines = Array.from({ length: 20_000 }, (_, i) => `record number ${i}`).join('\n') + '\n';
  expect(await runProduce(['--topic', 'piped', ...b], fakeIO(lines))).toBe(0);
});

afterAll(async () => {
  await cluster.stop();
  dirs.removeAll();
});

/** `rill ARGS` as a process whose stdout is closed after `keep` lines (0: at once), as `| head -n keep` does. */
function headed(args: string[], keep: number): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines: string[] = [];
  if (keep === 0) child.stdout!.destroy();
  else {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      if (lines.length < keep) lines.push(l);
      if (lines.length === keep) {
        rl.close();
        child.stdout!.destroy();
      }
    });
  }
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      const done = () => resolve({ code, lines, stderr });
      if (child.stderr!.readableEnded) done();
      else child.stderr!.once('end', done);
    }),
  );
}

test('consume --group | head -1: exits 0 without a stack trace, commits what it printed and leaves the group', async () => {
  const r = await headed(['consume', '--topic', 'piped', '--group', 'piped-readers', '--from-beginning', ...b], 1);
  expect(r.lines).toEqual(['record number 0']);
  expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  expect(r.code).toBe(0);
  const committed = cluster.broker.fetchOffsets('piped-readers', [{ topic: 'piped', partition: 0 }])[0].offset;
  expect(committed).toBeGreaterThan(0);
  expect(committed).toBeLessThan(20_000);
  const io = fakeIO();
  expect(await runGroup(['describe', 'piped-readers', ...b], io)).toBe(0);
  expect(io.out()).toContain('members: 0');
});

test('topic describe and group list into a closed pipe exit 0 quietly', async () => {
  for (const args of [
    ['topic', 'describe', 'piped'],
    ['group', 'list'],
    ['topic', 'list'],
  ]) {
    const r = await headed([...args, ...b], 0);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  }
});

test('a broker with a long-polling consumer attached stops at once on SIGINT', async () => {
  const procs = new CliProcs();
  const deadline = Date.now() + 50_000;
  let conn: KafkaConnection | undefined;
  try {
    const broker = procs.start('broker', ['broker', '--data-dir', dirs.make(), '--port', '0', '--host', '127.0.0.1', '--no-schema-registry']);
    await procs.until('the broker to listen', deadline, () => broker.out.some((l) => l.includes('listening on')));
    const port = /listening on [^:]+:(\d+)/.exec(broker.out.join('\n'))![1];
    conn = await KafkaConnection.connect(`127.0.0.1:${port}`);
    const meta = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: 'polled' }], allowAutoTopicCreation: true });
    expect(meta.topics[0].errorCode).toBe(0);
    // Long polls, one after the other, as a consumer at the end of a topic sends them (rill consume waits 500 ms).
    const fetch = () =>
      conn!.request<apis.FetchResponse>(apis.fetch, {
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'polled',
            partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
    await fetch();
    const polling = (async () => {
      for (;;) await fetch();
    })();
    broker.child.kill('SIGINT');
    // The polls end (the connection closes) with the broker, not after a grace period.
    await expect(polling).rejects.toThrow('the broker closed the connection');
    expect(await broker.exited).toBe(0);
    expect(broker.err.join('\n')).not.toContain('still busy');
    // Its log is JSON lines on a pipe: the last one says it stopped.
    expect(JSON.parse(broker.err[broker.err.length - 1]).msg).toBe('stopped: logs flushed and closed');
  } finally {
    conn?.close();
    await procs.killAll();
  }
});

test('a cluster node prints a "stopped" line on SIGINT', async () => {
  const procs = new CliProcs();
  const deadline = Date.now() + 50_000;
  try {
    const port = await freePortPair(new Set());
    const node = procs.start('node', ['broker', '--controller', '--node-id', '1', '--controllers', `1@127.0.0.1:${port}`, '--data-dir', dirs.make()]);
    await procs.until('the controller to serve', deadline, () => node.out.some((l) => l.startsWith('rill controller 1:')));
    node.child.kill('SIGINT');
    expect(await node.exited).toBe(0);
    expect(JSON.parse(node.err[node.err.length - 1]).msg).toBe('stopped');
  } finally {
    await procs.killAll();
  }
});

// Progress of long CLI work: drawn on stderr when it is a terminal, nothing at
// all otherwise. `rill produce < file` shows the bytes read and lines sent;
// run as a process with pipes, it prints its result line and no progress.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CommandIO } from '../../cli/io';
import { runProduce } from '../../cli/produce-command';
import { Progress, RestoreProgress } from '../../cli/progress';
import { runTopic } from '../../cli/topic-command';
import { startTestCluster, type TestCluster } from '../core/protocol/harness';

const ROOT = path.join(__dirname, '..', '..');
let cluster: TestCluster;
let dir: string;
beforeAll(async () => {
  cluster = await startTestCluster();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-progress-'));
});
afterAll(async () => {
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A CommandIO whose stderr claims to be a terminal (what cli-progress draws on) when `interactive`. */
function terminalIO(interactive: boolean, stdin: Readable = Readable.from([])): CommandIO & { err: () => string; out: () => string } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: interactive, columns: 120 });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdin, stdout, stderr, env: { RILL_BOOTSTRAP: cluster.bootstrap }, interactive, out: () => out, err: () => err };
}

function linesFile(name: string, count: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Array.from({ length: count }, (_, i) => `line ${i}`).join('\n') + '\n');
  return file;
}

test('a bar with a total, a running count without; nothing when not on a terminal', () => {
  const tty = terminalIO(true);
  const bar = new Progress(tty, 'committing', { total: 4, unit: 'partitions' });
  bar.update(1);
  bar.done(4);
  expect(tty.err()).toContain('committing [');
  expect(tty.err()).toContain('100% | 4/4 partitions');
  const count = new Progress(tty, 'producing', { unit: 'records sent' });
  count.done(7);
  expect(tty.err()).toContain('producing 7 records sent');

  const piped = terminalIO(false);
  new Progress(piped, 'committing', { total: 4 }).done(4);
  expect(piped.err()).toBe('');
});

test("a worker's restores add up into one bar that ends when every one is done", () => {
  const tty = terminalIO(true);
  const restores = new RestoreProgress(tty);
  restores.report({ store: 'counts', partition: 0, restored: 0, total: 300, done: false });
  restores.report({ store: 'counts', partition: 1, restored: 100, total: 100, done: true });
  restores.report({ store: 'counts', partition: 0, restored: 300, total: 300, done: true });
  expect(tty.err()).toContain('restoring stores [');
  expect(tty.err()).toContain('100% | 400/400 records');
});

test('rill produce < file on a terminal: bytes read of the file and lines sent', async () => {
  const file = linesFile('tty.txt', 50);
  const io = terminalIO(true, fs.createReadStream(file, { fd: fs.openSync(file, 'r') }));
  expect(await runProduce(['--topic', 'progress-tty'], io)).toBe(0);
  const size = fs.statSync(file).size;
  expect(io.err()).toContain(`producing to progress-tty [`);
  expect(io.err()).toContain(`100% | ${size}/${size} bytes read | 50 lines sent`);
  expect(io.err()).toContain('Produced 50 record(s) to progress-tty.');
});

test('rill produce < file with stderr a pipe: its result line and nothing else', async () => {
  const file = linesFile('piped.txt', 2000);
  const child = spawn(
    process.execPath,
    ['-r', './test/support/register-ts.js', 'cli/main.ts', 'produce', '--topic', 'progress-piped', '--bootstrap', cluster.bootstrap],
    {
      cwd: ROOT,
      stdio: [fs.openSync(file, 'r'), 'pipe', 'pipe'],
    },
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  expect({ code, out, err }).toEqual({ code: 0, out: '', err: 'Produced 2000 record(s) to progress-piped.\n' });
});

test('rill topic delete of several topics: a bar on a terminal, then one line per topic; a failure stops with the deleted ones printed', async () => {
  const names = ['gone-a', 'gone-b', 'gone-c'];
  for (const name of names) cluster.broker.createTopic({ name, partitions: 2 });
  const tty = terminalIO(true);
  expect(await runTopic(['delete', ...names], tty)).toBe(0);
  expect(tty.err()).toContain('deleting topics [');
  expect(tty.err()).toContain('100% | 3/3 topics');
  expect(tty.out()).toBe(names.map((n) => `Deleted topic "${n}".\n`).join(''));

  cluster.broker.createTopic({ name: 'gone-d', partitions: 1 });
  const piped = terminalIO(false);
  expect(await runTopic(['delete', 'gone-d', 'never-was', 'gone-a'], piped)).toBe(1);
  expect(piped.out()).toBe('Deleted topic "gone-d".\n');
  expect(piped.err()).toMatch(/^rill topic: cannot delete topic "never-was": UNKNOWN_TOPIC_OR_PARTITION .*\n$/);
});

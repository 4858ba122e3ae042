// The benches' progress bar: drawn on a terminal only, silent when piped or in
// CI, cleared around the bench's own log lines, stopped by the last step, and
// never the reason a bench process stays alive.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { benchProgress } from '../../bench/progress';

/** A stream that says it is (or is not) a terminal, and keeps what is written to it. */
function terminal(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text: () => string } {
  let text = '';
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120, text: () => text });
  stream.on('data', (d) => (text += d));
  return stream;
}

test('not a terminal, or in CI, or no steps: nothing drawn and console left alone', () => {
  const log = console.log;
  for (const [stream, env, total] of [
    [terminal(false), {}, 3],
    [terminal(true), { CI: 'true' }, 3],
    [terminal(true), {}, 0],
  ] as const) {
    const progress = benchProgress('bench:test', total, { stream, env });
    expect(console.log).toBe(log);
    progress.tick('one');
    progress.stop();
    expect(stream.text()).toBe('');
  }
});

test('on a terminal: each step drawn with its label, log lines clear the bar first, the last step stops it', async () => {
  const stream = terminal(true);
  const log = console.log;
  const progress = benchProgress('bench:test', 3, { stream, env: {} });
  expect(stream.text()).toContain('bench:test [');
  expect(stream.text()).toContain('0/3');
  progress.tick('first round');
  expect(stream.text()).toContain('1/3 | first round');

  const before = stream.text().length;
  console.log('a figure the bench prints');
  const around = stream.text().slice(before);
  // Cleared, then drawn again under the line.
  expect(around.startsWith('\r\x1b[2K')).toBe(true);
  expect(around).toContain('1/3 | first round');

  expect(await progress.after('second round', Promise.resolve(42))).toBe(42);
  expect(stream.text()).toContain('2/3 | second round');
  progress.tick('third round');
  expect(stream.text()).toContain('3/3 | third round');
  expect(console.log).toBe(log);
  // Stopped: more ticks draw nothing.
  const end = stream.text().length;
  progress.tick('extra');
  expect(stream.text().length).toBe(end);
});

test('a bench that ends without its last step still exits', () => {
  const root = path.join(__dirname, '..', '..');
  const script = `
    const { PassThrough } = require('node:stream');
    const { benchProgress } = require('./bench/progress');
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    stream.resume();
    benchProgress('bench:test', 10, { stream, env: {} }).tick('one of ten');
  `;
  const r = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
});

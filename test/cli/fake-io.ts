// A CommandIO for running CLI commands in-process: stdin from a string, stdout
// and stderr collected.
import { PassThrough, Readable } from 'node:stream';
import { CommandIO } from '../../cli/io';

export interface FakeIO extends CommandIO {
  out(): string;
  err(): string;
}

export function fakeIO(stdin = '', env: Record<string, string> = {}): FakeIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdin: Readable.from([stdin]), stdout, stderr, env, interactive: false, out: () => out, err: () => err };
}

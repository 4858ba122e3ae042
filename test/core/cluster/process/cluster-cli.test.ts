// `rill broker --controllers ...` flag handling: clear usage errors (exit 2),
// and the cluster help text.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runBroker } from '../../../../cli/broker-command';
import type { CommandIO } from '../../../../cli/io';

function io(): { io: CommandIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdin: new PassThrough(), stdout, stderr, env: {}, interactive: false }, out: () => out, err: () => err };
}

const run = async (args: string[]) => {
  const t = io();
  const code = await runBroker(args, t.io, new AbortController().signal);
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

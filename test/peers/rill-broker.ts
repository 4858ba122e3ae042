// `rill broker` as a child process on a free loopback port with a temporary
// data directory, for the peer tests and the vs-kafka bench: the same command a
// user runs, so Kafka's own clients meet what users deploy.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killAndWait } from '../support/ports';

const ROOT = path.join(__dirname, '..', '..');

export interface RillPeer {
  bootstrap: string;
  port: number;
  pid: number;
  /** Output so far (for a failure's message). */
  output(): string;
  /** SIGKILLs the broker and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts `rill broker` and resolves once it prints where it listens; SIGKILLed after lifetimeMs. */
export function startRillBroker(opts: { lifetimeMs?: number; args?: string[] } = {}): Promise<RillPeer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-peer-broker-'));
  const args = [
    '-r',
    './test/support/register-ts.js',
    'cli/main.ts',
    'broker',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--no-schema-registry',
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.lifetimeMs ?? 30 * 60_000);
  killer.unref();
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = async () => {
    clearTimeout(killer);
    await killAndWait(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const onData = () => {
      const listening = /listening on [^:]+:(\d+)/.exec(out);
      if (!listening) return;
      child.stdout!.off('data', onData);
      const port = Number(listening[1]);
      resolve({ bootstrap: `127.0.0.1:${port}`, port, pid: child.pid!, output: () => out, stop });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(killer);
      reject(new Error(`rill broker exited with ${code} before listening: ${out}`));
    });
  });
}

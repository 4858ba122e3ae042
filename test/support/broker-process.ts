// `rill broker` as a real child process for tests: started from flags, resolved
// once it prints where it listens (Kafka port, schema registry URL), killed
// after a bound. killBrokerProcesses() in an afterAll ends any left running.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const children = new Set<ChildProcess>();

export interface BrokerProcess {
  child: ChildProcess;
  port: number;
  /** Every listener's port, in the order of --listeners. */
  listenerPorts: number[];
  registryUrl: string;
  stderr: () => string;
  /** What it printed so far (where it serves metrics, the console). */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `rill broker ARGS` (give --port 0 and --schema-registry-port 0); killed after `lifetimeMs` at the latest. */
export function startBrokerProcess(args: string[], lifetimeMs = 60_000): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', 'broker', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), lifetimeMs);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      children.delete(child);
      resolve(code);
    }),
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const kafka = /listening on [^:]+:(\d+)/.exec(out);
      const registry = /schema registry on (https?):\/\/[^:]+:(\d+)/.exec(out);
      const listenerPorts = [...out.matchAll(/listening on \S+:(\d+) /g)].map((m) => Number(m[1]));
      if (kafka && registry)
        resolve({
          child,
          port: Number(kafka[1]),
          listenerPorts,
          registryUrl: `${registry[1]}://127.0.0.1:${registry[2]}`,
          stderr: () => err,
          stdout: () => out,
          exited,
        });
    });
    exited.then((code) => reject(new Error(`rill broker exited with ${code} before listening: ${err}`)));
  });
}

export function killBrokerProcesses(): void {
  for (const c of children) c.kill('SIGKILL');
}

// A real redis-server child for integration tests: on a free loopback port, no
// persistence unless asked, a bounded lifetime (`timeout` kills it even if the
// test process dies), killed and restarted on the same port for restart tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, as a crash; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and the same data dir). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `durable`: append-only file fsynced on every write, so acknowledged writes survive a kill. */
export async function startRedisServer(options: { durable?: boolean; lifetimeSeconds?: number } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-redis-'));
  const pidfile = path.join(dir, 'redis.pid');
  const persistence = options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  /** Children whose process and stdio are gone. */
  const closed = new WeakSet<ChildProcess>();

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(
        'timeout',
        [
          '-s',
          'KILL',
          String(options.lifetimeSeconds ?? 180),
          'redis-server',
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          ...persistence,
          '--dir',
          dir,
          '--pidfile',
          pidfile,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child = c;
      c.once('close', () => closed.add(c));
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          c.stdout!.off('data', onData);
          c.stdout!.resume();
          resolve();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.resume();
      c.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${out.slice(-500)}`)));
    });

  const waitExit = async () => {
    const c = child;
    if (!c || closed.has(c)) return;
    await new Promise<void>((resolve) => c.once('close', () => resolve()));
  };

  const kill = async () => {
    const pid = fs.existsSync(pidfile) ? Number(fs.readFileSync(pidfile, 'utf8').trim()) : undefined;
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child?.kill('SIGKILL');
    await waitExit();
    fs.rmSync(pidfile, { force: true });
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    async stop() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

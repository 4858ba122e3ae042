import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

// The raft server with --state-machine kv (what bench:raft runs): one voter,
// puts by key, a bad key refused with 400 while the node keeps serving.

const SERVER = path.resolve(__dirname, '../../../../core/raft/server/run.cjs');
const DEADLINE_MS = 20_000;

describe('raft server, kv state machine', () => {
  let dir: string;
  let child: ChildProcess;
  let base: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-raft-kv-'));
    child = spawn(process.execPath, [SERVER, '--id', '1', '--dir', dir, '--bootstrap', '1', '--tick-ms', '20', '--state-machine', 'kv'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the server exited with ${code} before it was ready`)));
    });
    base = `http://127.0.0.1:${(JSON.parse(line) as { httpPort: number }).httpPort}`;
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end(); // the server stops when its parent's pipe closes
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Put until the node, once elected, accepts (421 until then). */
  async function put(key: string, value: string): Promise<Response> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const res = await fetch(`${base}/kv/${key}`, { method: 'POST', body: value });
      if (res.status !== 421 || Date.now() > deadline) return res;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('applies puts by key, refuses a key that is not percent-encoding, and keeps serving', async () => {
    expect((await put('a', 'one')).status).toBe(200);
    expect((await put('b', 'two')).status).toBe(200);
    const bad = await put('%E0%A4%A', 'x');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid percent-encoding/);
    expect((await put('a', 'three')).status).toBe(200);
    const values = (await (await fetch(`${base}/values`)).json()) as { map: Record<string, string> };
    expect(values.map).toEqual({ a: 'three', b: 'two' });
  }, 30_000);
});

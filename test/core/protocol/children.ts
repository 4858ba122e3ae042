// Bounded child processes for client tests: every child has a timeout, and any
// still alive at the end of the suite is killed.
import { spawn, ChildProcess } from 'node:child_process';

const alive = new Set<ChildProcess>();

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (or kills it after timeoutMs); resolves with its output. */
export function run(command: string, args: string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    alive.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    child.on('error', (e) => {
      clearTimeout(timer);
      alive.delete(child);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      alive.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

export function killAll(): void {
  for (const c of alive) c.kill('SIGKILL');
  alive.clear();
}

// Issue 20 item 1: every process that opens a data directory holds an
// exclusive lock on it. A second opener is refused with one line naming the
// directory and the holder's pid; a lock left by a process killed with
// SIGKILL does not block a restart. Real processes for `rill broker` and a
// cluster node; Rill.open and RillStreams against a lock file of a live
// process (this test's parent) and of a dead one.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirLock, DirLockedError, Rill } from '../../core/client';
import { RillStreams, StreamsBuilder, count, memoryLogger, to } from '../../dsl';
import { jsonSerde, stringSerde } from '../../core/schema';
import { freePortPair } from '../support/ports';
import { tempDirs } from '../support/tmp-dir';
import { CliProcs } from './worker-procs';

const dirs = tempDirs('dir-lock');
afterAll(() => dirs.removeAll());

function lockHeldBy(dir: string, pid: number, hostname = os.hostname()): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid, hostname, started: null }) + '\n');
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

describe('DirLock', () => {
  test('refuses a directory a live process holds, naming the directory and the pid', () => {
    const dir = dirs.make();
    lockHeldBy(path.join(dir, 'log'), process.ppid);
    expect(() => Rill.open({ dir })).toThrow(DirLockedError);
    expect(() => Rill.open({ dir })).toThrow(`data directory ${path.join(dir, 'log')} is in use by process ${process.ppid}`);
  });

  test('takes over the lock of a dead process, and gives it back on close', async () => {
    const dir = dirs.make();
    lockHeldBy(path.join(dir, 'log'), deadPid());
    const rill = Rill.open({ dir });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'log', '.lock'), 'utf8')).pid).toBe(process.pid);
    await rill.close();
    expect(fs.existsSync(path.join(dir, 'log', '.lock'))).toBe(false);
    await Rill.open({ dir }).close();
  });

  test('a lock held on another host is never taken over', () => {
    const dir = dirs.make();
    lockHeldBy(dir, deadPid(), 'some-other-host');
    expect(() => DirLock.acquire(dir)).toThrow(/in use by process \d+ on host some-other-host .*delete .*\.lock/);
  });

  test('RillStreams locks stateDir/applicationId', async () => {
    const dir = dirs.make();
    const stateDir = dirs.make();
    const rill = Rill.open({ dir });
    try {
      await rill.admin.createTopics([{ name: 'events', partitions: 1 }]);
      const b = new StreamsBuilder('counter');
      b.stream('events', { key: stringSerde(), value: stringSerde() }).pipe(
        count({ store: 'counts', keySerde: stringSerde() }),
        to('counts-out', { key: stringSerde(), value: jsonSerde<number>() }),
      );
      lockHeldBy(path.join(stateDir, 'counter'), process.ppid);
      const app = new RillStreams(b.build(), { log: rill, logger: memoryLogger(), stateDir });
      await expect(app.start()).rejects.toThrow(`data directory ${path.join(stateDir, 'counter')} is in use by process ${process.ppid}`);
      fs.rmSync(path.join(stateDir, 'counter', '.lock'));
      const again = new RillStreams(b.build(), { log: rill, logger: memoryLogger(), stateDir });
      await again.start();
      expect(fs.existsSync(path.join(stateDir, 'counter', '.lock'))).toBe(true);
      await again.stop();
      expect(fs.existsSync(path.join(stateDir, 'counter', '.lock'))).toBe(false);
    } finally {
      await rill.close();
    }
  });
});

describe('two processes on one data directory', () => {
  test('rill broker: the second is refused; after kill -9 of the first, a restart starts', async () => {
    const procs = new CliProcs();
    const dataDir = dirs.make();
    const deadline = Date.now() + 50_000;
    try {
      const first = procs.start('first', ['broker', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', '--no-schema-registry']);
      await procs.until('the first broker to listen', deadline, () => first.out.some((l) => l.includes('listening on')));
      const second = procs.start('second', ['broker', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', '--no-schema-registry']);
      expect(await second.exited).toBe(1);
      expect(second.err).toEqual([
        `rill broker: data directory ${path.join(dataDir, 'log')} is in use by process ${first.child.pid} (lock ${path.join(dataDir, 'log', '.lock')}); stop it first, or use another directory`,
      ]);
      expect(first.child.exitCode).toBeNull();

      first.child.kill('SIGKILL');
      await first.exited;
      const restarted = procs.start('restarted', ['broker', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', '--no-schema-registry']);
      await procs.until('the restarted broker to listen', deadline, () => restarted.out.some((l) => l.includes('listening on')));
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
      expect(fs.existsSync(path.join(dataDir, 'log', '.lock'))).toBe(false);
    } finally {
      await procs.killAll();
    }
  });

  test('a cluster controller: the second is refused with the holder pid', async () => {
    const procs = new CliProcs();
    const dataDir = dirs.make();
    const deadline = Date.now() + 50_000;
    try {
      const port = await freePortPair(new Set());
      const args = ['broker', '--controller', '--node-id', '1', '--controllers', `1@127.0.0.1:${port}`, '--data-dir', dataDir];
      const first = procs.start('first', args);
      await procs.until('the controller to serve', deadline, () => first.out.some((l) => l.startsWith('rill controller 1:')));
      const second = procs.start('second', args);
      expect(await second.exited).toBe(1);
      expect(second.err.join('\n')).toContain(`data directory ${dataDir} is in use by process ${first.child.pid}`);
    } finally {
      await procs.killAll();
    }
  });
});

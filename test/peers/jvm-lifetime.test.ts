// A peer JVM never outlives what started it: killed when its parent dies (even
// by SIGKILL, which runs no cleanup) and when its lifetime is up.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startJava } from './kafka/jvm';

const ROOT = path.join(__dirname, '..', '..');
// A JVM that runs until killed: a consumer whose broker never answers.
const NEVER_ENDING = [
  'org.apache.kafka.tools.VerifiableConsumer',
  ['--bootstrap-server', '127.0.0.1:1', '--topic', 'nothing', '--group-id', 'nobody'],
] as const;

/** Resolves once process `pid` is gone or a zombie (looked up every 50 ms; the test's timeout bounds the wait). */
function gone(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z')) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 50);
    check();
  });
}

test('the JVM is killed when the process that started it is SIGKILLed', async () => {
  const script = `const { startJava } = require('./test/peers/kafka/jvm.ts');
const p = startJava(${JSON.stringify(NEVER_ENDING[0])}, ${JSON.stringify(NEVER_ENDING[1])}, { lifetimeMs: 600000 });
const t = setInterval(() => { const pid = p.javaPid(); if (pid) { process.stdout.write('java ' + pid + '\\n'); clearInterval(t); } }, 20);`;
  const parent = spawn(process.execPath, ['-r', './test/support/register-ts.js', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const javaPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (d) => {
      out += d;
      const m = /java (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before its JVM started`)));
  });
  expect(fs.readFileSync(`/proc/${javaPid}/comm`, 'utf8').trim()).toBe('java');
  parent.kill('SIGKILL');
  await gone(javaPid);
});

test('the JVM is killed when its lifetime is up', async () => {
  const p = startJava(NEVER_ENDING[0], [...NEVER_ENDING[1]], { lifetimeMs: 1000 });
  p.child.stdout!.resume();
  p.child.stderr!.resume();
  // The wrapper exits with the JVM's status: SIGKILLed, 128 + 9.
  expect(await p.exited).toBe(137);
});

// Java processes for the Apache Kafka peer: the classpath `npm run peers:kafka`
// builds (test/peers/kafka/target), and JVMs that cannot outlive their parent.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PEER_DIR = __dirname;
const CLASSES = path.join(PEER_DIR, 'target', 'classes');
const LIB = path.join(PEER_DIR, 'target', 'lib');
const LOG_CONFIG = path.join(PEER_DIR, 'log4j2.properties');

/** Options for short-lived client JVMs: they start faster with the C1 compiler only and a serial GC. */
export const CLIENT_JVM_OPTIONS = ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** The classpath of Kafka 4.x, its tools, Kafka Streams and the compiled checks; throws when not built. */
export function classpath(): string {
  if (!fs.existsSync(path.join(CLASSES, 'dev', 'rill', 'peers')) || !fs.existsSync(LIB)) {
    throw new Error(`Apache Kafka's jars are not there (${LIB}): run \`npm run peers:kafka\` first`);
  }
  return `${CLASSES}:${LIB}/*`;
}

// `bash -c` runs the JVM and a watcher: the watcher's read ends when the parent
// closes our stdin (or dies, which closes it too) or when the lifetime is up, and
// then SIGKILLs the JVM. stdin is kept on fd 3 because bash gives background jobs
// /dev/null as stdin.
// When $RILL_JVM_CGROUP_PROCS names a cgroup's procs file, the wrapper joins
// that cgroup first, so the JVM is in it from its first page on.
const BOUNDED = [
  'exec 3<&0 </dev/null',
  'if [ -n "$RILL_JVM_CGROUP_PROCS" ]; then echo $$ > "$RILL_JVM_CGROUP_PROCS" || exit 125; fi',
  'lifetime=$1; shift',
  '"$@" & main=$!',
  '( read -r -t "$lifetime" _ <&3; kill -KILL $main 2>/dev/null ) & watcher=$!',
  'wait $main; code=$?',
  'kill $watcher 2>/dev/null',
  'exit $code',
].join('\n');

export interface JavaProcess {
  child: ChildProcess;
  /** Resolves with the JVM's exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Kills the JVM (through the watcher) and waits for it to be gone. */
  kill(): Promise<void>;
  /** The JVM's own process id (the child is the bash wrapper); undefined once it is gone. Linux only. */
  javaPid(): number | undefined;
}

/**
 * Starts `java <jvmOptions> -cp <classpath> <mainClass> <args>`, SIGKILLed after
 * lifetimeMs or when this process dies; with `cgroupProcs` (a cgroup's
 * cgroup.procs file) the JVM runs in that cgroup (exit 125 when it cannot join).
 */
export function startJava(
  mainClass: string,
  args: string[],
  opts: { jvmOptions?: string[]; lifetimeMs: number; cwd?: string; cgroupProcs?: string },
): JavaProcess {
  const java = ['java', ...(opts.jvmOptions ?? CLIENT_JVM_OPTIONS), `-Dlog4j2.configurationFile=${LOG_CONFIG}`, '-cp', classpath(), mainClass, ...args];
  const lifetimeSeconds = String(Math.max(1, Math.ceil(opts.lifetimeMs / 1000)));
  const child = spawn('bash', ['-c', BOUNDED, 'bounded-java', lifetimeSeconds, ...java], {
    cwd: opts.cwd ?? PEER_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RILL_JVM_CGROUP_PROCS: opts.cgroupProcs ?? '' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end();
      await exited;
    },
    javaPid() {
      // The wrapper's children: the JVM, started first, and the watcher subshell.
      try {
        const pids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
        return pids.find((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java');
      } catch {
        return undefined;
      }
    },
  };
}

export interface JavaRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Java main class to its end (killed after lifetimeMs) and returns what it printed. */
export async function runJava(mainClass: string, args: string[], opts: { jvmOptions?: string[]; lifetimeMs: number }): Promise<JavaRun> {
  const p = startJava(mainClass, args, opts);
  let stdout = '';
  let stderr = '';
  p.child.stdout!.on('data', (d) => (stdout += d));
  p.child.stderr!.on('data', (d) => (stderr += d));
  const code = await p.exited;
  p.child.stdin!.end();
  return { code, stdout, stderr };
}

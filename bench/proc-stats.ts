// A process's CPU time and resident memory from Linux's /proc, for benches
// that measure processes other than their own (brokers, JVMs).
import * as fs from 'node:fs';

/** User and system CPU milliseconds of a process so far, all its threads, ended ones included (Linux, USER_HZ 100). */
export function cpuTimesMs(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (which may hold spaces) fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

/** user+system CPU milliseconds of a process so far (Linux, USER_HZ 100). */
export function cpuMs(pid: number): number {
  const t = cpuTimesMs(pid);
  return t.user + t.system;
}

/**
 * CPU milliseconds of a process's live threads so far, from the scheduler's
 * nanosecond accounting (/proc/PID/task/TID/schedstat): /proc/PID/stat counts
 * in 10 ms ticks, too coarse for runs of a second compared within 1 %. Threads
 * that have exited are not counted: compare two readings of a process whose
 * threads live on (node's main, libuv and V8 threads).
 */
export function preciseCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

/** Resident set size of a process in MB (Linux VmRSS). */
export function rssMb(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? NaN) / 1024);
}

/**
 * CPU milliseconds (user + system) of a process's live threads so far, summed
 * by thread name with digits replaced by '#' (so a JVM's "GC Thread#0" and
 * "GC Thread#1", or libuv's worker threads, count as one group). Linux
 * truncates thread names to 15 characters. Threads that exit between two
 * readings drop out of the second: compare groups of long-lived threads.
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+/g, '#');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
}

/** Context switches (voluntary + involuntary) of a process's live threads so far. */
export function contextSwitches(pid: number): number {
  let n = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      for (const line of fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n'))
        if (line.startsWith('voluntary_ctxt_switches:') || line.startsWith('nonvoluntary_ctxt_switches:')) n += Number(line.split(/\s+/)[1]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return n;
}

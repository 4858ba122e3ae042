// A process's CPU time and resident memory from Linux's /proc, for benches
// that measure processes other than their own (brokers, JVMs).
import * as fs from 'node:fs';

/** user+system CPU milliseconds of a process so far (Linux, USER_HZ 100). */
export function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set size of a process in MB (Linux VmRSS). */
export function rssMb(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? NaN) / 1024);
}

// Ports and child processes for tests and benchmarks that start real Rill
// nodes on loopback.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

/** Binds `port` on loopback and lets it go; the port bound (undefined when it is taken). */
function bind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/** The kernel's ephemeral port range: outgoing connections and bind(0) take ports from it. */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo, hi];
  } catch {
    // not Linux: assume the IANA range
  }
  return [49152, 65535];
}

/** Slices of the port range below the ephemeral one: each jest worker (JEST_WORKER_ID) picks from its own. */
const WORKER_SLICES = 8;

/**
 * A free port P whose P+1 is free too (a node listens on both). Taken below the
 * ephemeral range when there is room: a node restarted on its old ports must
 * find them free, and an outgoing connection (of this process or any other)
 * never takes a port from outside that range. Each jest worker picks from a
 * slice of its own, so a test in another worker cannot find a killed node's
 * port free and take it before the node is restarted on it.
 */
export async function freePortPair(taken: Set<number>): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const worker = Number(process.env.JEST_WORKER_ID ?? 0);
  const span = Math.floor((ephemeralLow - 2 - 20_000) / WORKER_SLICES);
  const low = 20_000 + (Number.isInteger(worker) ? worker % WORKER_SLICES : 0) * span;
  for (let attempt = 0; attempt < 200; attempt++) {
    const p = span > 100 ? low + Math.floor(Math.random() * span) : await bind(0);
    if (p === undefined || p >= 65535 || taken.has(p) || taken.has(p + 1)) continue;
    if ((await bind(p)) === undefined || (await bind(p + 1)) === undefined) continue;
    taken.add(p);
    taken.add(p + 1);
    return p;
  }
  throw new Error('no free port pair found');
}

/** SIGKILLs `child` (if it still runs) and resolves once it has exited. */
/** SIGTERM (a graceful stop), then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
export async function terminateAndWait(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

// What one more copy of a megabyte must cost on this machine, whatever the
// code: the CPU time (user + system, process.cpuUsage) of the operations a
// follower copy cannot avoid. bench/cluster.ts uses it to say how high the
// RF 3 acks=all / RF 1 acks=1 ratio can get here at all.
//
// At RF 3 every produced megabyte is also sent twice from the leader over
// loopback TCP, received twice, checked twice (CRC-32C) and written twice more
// to a file. When the brokers share the machine's cores (3 brokers on 2 cores
// here), throughput follows the brokers' total CPU per MB, so
//   ratio <= C1 / (C1 + 2 * floor)
// where C1 is the RF 1 leader's measured CPU per MB and floor the sum below.
//
// Measured for real, 64 KiB at a time as the brokers move it: a child process
// sends over loopback TCP to this one, which reads into one reused buffer (as
// a follower's fetcher does); a file takes positional writes (as a segment does).
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32c } from '../core/log/crc32c';

const CHUNK = 64 * 1024;
const MB = 1024 * 1024;

export interface CopyFloor {
  /** CPU-ms per MB, each operation alone. */
  fileWriteMsPerMB: number;
  socketSendMsPerMB: number;
  socketReceiveMsPerMB: number;
  crc32cMsPerMB: number;
  /** All four: one follower copy of one megabyte, leader's send included. */
  followerCopyMsPerMB: number;
  megabytes: number;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function fileWrite(megabytes: number): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-copy-floor-'));
  const chunk = Buffer.alloc(CHUNK, 1);
  const fd = fs.openSync(path.join(dir, 'segment.log'), 'w');
  try {
    const t0 = process.cpuUsage();
    let position = 0;
    for (let i = 0; i < (megabytes * MB) / CHUNK; i++) {
      fs.writeSync(fd, chunk, 0, CHUNK, position);
      position += CHUNK;
    }
    return cpuMs(process.cpuUsage(t0)) / megabytes;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function crc(megabytes: number): number {
  const chunk = Buffer.alloc(CHUNK, 7);
  const t0 = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < (megabytes * MB) / CHUNK; i++) sink ^= crc32c(chunk);
  const ms = cpuMs(process.cpuUsage(t0)) / megabytes;
  return sink === 0.5 ? NaN : ms; // keeps `sink` alive
}

/** The sending child: on a connection, writes the megabytes asked for, then reports its CPU per MB. */
function sender(megabytes: number): void {
  const chunk = Buffer.alloc(CHUNK, 1);
  const server = net.createServer((socket) => {
    const t0 = process.cpuUsage();
    const total = (megabytes * MB) / CHUNK;
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent++;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end(() => process.send!({ sendMsPerMB: cpuMs(process.cpuUsage(t0)) / megabytes }, () => process.exit(0)));
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
}

/** Loopback TCP: a child sends, this process receives into one reused buffer (as a follower's fetcher does). */
async function socketTransfer(megabytes: number): Promise<{ send: number; receive: number }> {
  const child = fork(__filename, ['--copy-floor-sender', String(megabytes)], { execArgv: process.execArgv });
  const lifetime = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const next = () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        child.once('message', (m) => resolve(m as Record<string, number>));
        child.once('exit', (code) => reject(new Error(`copy-floor sender exited with ${code}`)));
      });
    const { port } = await next();
    const sent = next();
    const t0 = process.cpuUsage();
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({
        port,
        host: '127.0.0.1',
        onread: {
          buffer: Buffer.allocUnsafe(CHUNK),
          callback: (n: number) => {
            bytes += n;
            return true;
          },
        },
      });
      socket.once('end', resolve).once('error', reject);
    });
    const receive = cpuMs(process.cpuUsage(t0)) / (bytes / MB);
    const { sendMsPerMB } = await sent;
    return { send: sendMsPerMB, receive };
  } finally {
    clearTimeout(lifetime);
    child.kill();
  }
}

const r2 = (x: number) => +x.toFixed(2);

/** Runs each measurement `rounds` times and keeps the lowest (the least disturbed by other load). */
export async function measureCopyFloor(megabytes = 256, rounds = 3): Promise<CopyFloor> {
  const best = { file: Infinity, crc: Infinity, send: Infinity, receive: Infinity };
  for (let i = 0; i < rounds; i++) {
    best.file = Math.min(best.file, fileWrite(megabytes));
    best.crc = Math.min(best.crc, crc(megabytes));
    const s = await socketTransfer(megabytes);
    best.send = Math.min(best.send, s.send);
    best.receive = Math.min(best.receive, s.receive);
  }
  return {
    fileWriteMsPerMB: r2(best.file),
    socketSendMsPerMB: r2(best.send),
    socketReceiveMsPerMB: r2(best.receive),
    crc32cMsPerMB: r2(best.crc),
    followerCopyMsPerMB: r2(best.file + best.send + best.receive + best.crc),
    megabytes,
  };
}

/**
 * The highest RF 3 / RF 1 ratio the brokers' CPU allows when they share the
 * machine's cores: the RF 1 leader's measured cost against that cost plus two
 * follower copies at the floor (no overhead at all beyond the floor).
 */
export function ratioCeiling(rf1BrokerCpuMsPerMB: number, floor: CopyFloor): number {
  return r2(rf1BrokerCpuMsPerMB / (rf1BrokerCpuMsPerMB + 2 * floor.followerCopyMsPerMB));
}

const senderFlag = process.argv.indexOf('--copy-floor-sender');
if (senderFlag >= 0) sender(Number(process.argv[senderFlag + 1]));

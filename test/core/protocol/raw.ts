// Hand-made frames over a raw socket, for tests of framing and bad input.
import * as net from 'node:net';
import { ApiDefinition, Writer, encodeMessage, inRange, writeRequestHeader } from '../../../core/protocol';

/** One request frame (size prefix included). */
export function requestFrame(api: ApiDefinition, version: number, correlationId: number, body: object, apiKey = api.key): Buffer {
  const w = new Writer();
  w.int32(0);
  writeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: 'raw' }, inRange(api.request.flexible, version));
  encodeMessage(api.request, version, body, w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

export interface RawConnection {
  socket: net.Socket;
  /** Response frames (without size prefix) in arrival order. */
  frames: Buffer[];
  closed: Promise<void>;
  /** Resolves once `n` responses have arrived (or rejects when the connection closes first). */
  responses(n: number): Promise<Buffer[]>;
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(conn));
    socket.once('error', reject);
    let pending = Buffer.alloc(0);
    const frames: Buffer[] = [];
    const waiters: (() => void)[] = [];
    socket.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        frames.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) =>
      socket.once('close', () => {
        for (const w of waiters.splice(0)) w();
        r();
      }),
    );
    const conn: RawConnection = {
      socket,
      frames,
      closed,
      responses(n) {
        return new Promise((res, rej) => {
          const check = () => {
            if (frames.length >= n) res(frames.slice(0, n));
            else if (socket.destroyed) rej(new Error(`connection closed after ${frames.length} of ${n} responses`));
            else waiters.push(check);
          };
          check();
        });
      },
    };
  });
}

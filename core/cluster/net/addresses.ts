// Where the controllers are: `1@127.0.0.1:9093,2@...` (Kafka's
// controller.quorum.voters). The listed port serves brokers (core/cluster's
// RPC); Raft between the controllers runs on the next port up.
import * as E from 'fp-ts/Either';

export interface ControllerAddress {
  readonly id: number;
  readonly host: string;
  /** The controller RPC port brokers use. */
  readonly port: number;
  /** Raft between controllers: port + 1. */
  readonly raftPort: number;
}

export function parseControllers(text: string): E.Either<string, ControllerAddress[]> {
  const out: ControllerAddress[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = /^(\d+)@([^:]+):(\d+)$/.exec(part);
    if (m === null) return E.left(`"${part}" is not ID@HOST:PORT (e.g. 1@127.0.0.1:9093)`);
    const id = Number(m[1]);
    const port = Number(m[3]);
    if (id < 1) return E.left(`controller id ${id} must be 1 or more`);
    if (port < 1 || port > 65534) return E.left(`port ${port} of controller ${id} must be 1..65534 (Raft uses the next one)`);
    if (out.some((c) => c.id === id)) return E.left(`controller id ${id} is listed twice`);
    out.push({ id, host: m[2], port, raftPort: port + 1 });
  }
  if (out.length === 0) return E.left('no controllers given; use --controllers 1@HOST:PORT,2@HOST:PORT,3@HOST:PORT');
  return E.right(out);
}

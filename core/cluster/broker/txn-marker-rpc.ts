// Transaction markers between cluster brokers. A transaction coordinator asks
// each partition's leader to append the COMMIT or ABORT marker. Kafka sends
// WriteTxnMarkers on its inter-broker listener; Rill's inter-broker link is the
// replication RPC (port + 1, mutual TLS with --internal-ssl-*), so a marker
// travels there too: never through a client listener, which may be SASL, TLS
// with another CA, or guarded by ACLs a coordinator holds no credentials for.
// The Kafka API WriteTxnMarkers stays served to tools on the client listeners.
import * as E from 'fp-ts/Either';
import type { TxnMarker } from '../../protocol';
import { ErrorCode, refusal, type Refusal } from '../errors';
import type { RpcResult } from '../net/rpc';

/** On the replication port: append this marker to a partition this broker leads. */
export const WRITE_TXN_MARKER_METHOD = 'writeTxnMarker';

export interface TxnMarkerRequest extends TxnMarker {
  readonly topic: string;
  readonly partition: number;
}

interface TxnMarkerAnswer {
  readonly errorCode: number;
  readonly message?: string;
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** A request body from the wire, checked field by field (an error saying which is wrong otherwise). */
export function decodeTxnMarkerRequest(body: unknown): TxnMarkerRequest | string {
  if (typeof body !== 'object' || body === null) return 'a transaction marker request must be an object';
  const b = body as Record<string, unknown>;
  if (typeof b.topic !== 'string' || b.topic.length === 0 || b.topic.length > 249) return 'a transaction marker request needs a topic name';
  if (!isInt(b.partition, 0, 0x7fffffff)) return `bad partition ${String(b.partition)} in a transaction marker request`;
  if (!isInt(b.producerId, 0, Number.MAX_SAFE_INTEGER)) return `bad producer id ${String(b.producerId)} in a transaction marker request`;
  if (!isInt(b.producerEpoch, 0, 0x7fff)) return `bad producer epoch ${String(b.producerEpoch)} in a transaction marker request`;
  if (!isInt(b.coordinatorEpoch, -1, 0x7fffffff)) return `bad coordinator epoch ${String(b.coordinatorEpoch)} in a transaction marker request`;
  if (typeof b.commit !== 'boolean') return 'a transaction marker request must say commit (true) or abort (false)';
  return {
    topic: b.topic,
    partition: b.partition,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    coordinatorEpoch: b.coordinatorEpoch,
    commit: b.commit,
  };
}

/** The leader's answer: written, or its refusal's code and message. */
export function txnMarkerAnswer(written: E.Either<Refusal, void>): TxnMarkerAnswer {
  return E.isRight(written) ? { errorCode: 0 } : { errorCode: written.left.code, message: written.left.message };
}

/** What the coordinator makes of the leader's RPC result. */
export function txnMarkerOutcome(leader: number, r: RpcResult): E.Either<Refusal, void> {
  if (!r.ok) return E.left(refusal(ErrorCode.NETWORK_EXCEPTION, `transaction marker to broker ${leader}: ${r.error}`));
  const a = r.body as Partial<TxnMarkerAnswer> | null;
  const code = typeof a?.errorCode === 'number' ? a.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === 0) return E.right(undefined);
  return E.left(refusal(code, `broker ${leader} refused the marker: ${typeof a?.message === 'string' ? a.message : `error ${code}`}`));
}

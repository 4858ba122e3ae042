// Posts records to an HTTP endpoint, in order, one request per record (or one
// per batch as a JSON array). 2xx acknowledges; 408, 429, 5xx and network
// errors mean "unavailable" (the runner retries the batch with backoff, so a
// receiver may see a record twice: each request carries X-Rill-Origin to
// de-duplicate); any other 4xx refuses the record, which then follows the
// bad-record policy (a dead-letter topic keeps it).
import { unavailable, written, type Rejection, type SinkConnector, type SinkRecord, type SinkWriteOutcome } from '../connector';

export interface WebhookSinkOptions<K, V> {
  readonly url: string;
  readonly name?: string;
  readonly method?: 'POST' | 'PUT';
  readonly headers?: Readonly<Record<string, string>>;
  /** 'record' (default): one request per record; 'batch': one request with a JSON array. */
  readonly mode?: 'record' | 'batch';
  /** The JSON body of a record (default: `{ key, value, topic, partition, offset, timestamp }`). */
  readonly body?: (record: SinkRecord<K, V>) => unknown;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  /** Injectable for tests; default the global fetch. */
  readonly fetch?: typeof fetch;
}

export function defaultWebhookBody(r: SinkRecord<unknown, unknown>): unknown {
  return { key: r.key, value: r.value, topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp };
}

type Reply = { kind: 'ok' } | { kind: 'refused'; reason: string } | { kind: 'unavailable'; reason: string };

export function webhookSink<K, V>(options: WebhookSinkOptions<K, V>): SinkConnector<K, V> {
  const doFetch = options.fetch ?? fetch;
  const bodyOf = options.body ?? defaultWebhookBody;

  async function post(body: unknown, origin: string): Promise<Reply> {
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch (e) {
      return { kind: 'refused', reason: `body cannot be written as JSON: ${(e as Error).message}` };
    }
    try {
      const response = await doFetch(options.url, {
        method: options.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'x-rill-origin': origin, ...options.headers },
        body: text,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const detail = response.ok ? '' : (await response.text().catch(() => '')).slice(0, 200);
      if (response.ok) return { kind: 'ok' };
      const reason = `${options.url} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
      return response.status === 408 || response.status === 429 || response.status >= 500 ? { kind: 'unavailable', reason } : { kind: 'refused', reason };
    } catch (e) {
      const err = e as Error & { cause?: Error };
      return { kind: 'unavailable', reason: `${options.url}: ${err.cause?.message ?? err.message}` };
    }
  }

  return {
    name: options.name ?? `webhook-${new URL(options.url).host}`,
    async write(batch): Promise<SinkWriteOutcome> {
      const rejected: Rejection[] = [];
      if (options.mode === 'batch') {
        const reply = await post(batch.map(bodyOf), batch.map(originOf).join(','));
        if (reply.kind === 'unavailable') return unavailable(reply.reason);
        if (reply.kind === 'refused') batch.forEach((_, index) => rejected.push({ index, reason: reply.reason }));
        return written(rejected);
      }
      for (let index = 0; index < batch.length; index++) {
        const reply = await post(bodyOf(batch[index]), originOf(batch[index]));
        if (reply.kind === 'unavailable') return unavailable(reply.reason);
        if (reply.kind === 'refused') rejected.push({ index, reason: reply.reason });
      }
      return written(rejected);
    },
  };
}

function originOf(r: SinkRecord<unknown, unknown>): string {
  return `${r.topic}/${r.partition}/${r.offset}`;
}

/// <reference lib="dom" />
// The console server's JSON API, as the pages call it.
import type { ErrorView } from '../model';

/** An error answer as a sentence, with the Kafka error code when a broker refused. */
export function errorText(e: ErrorView): string {
  return e.code !== undefined ? `${e.error} [Kafka error ${e.code}]` : e.error;
}

/** The server's answer to `path`; an error answer throws with the server's sentence (and Kafka error code). */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }))) as T | ErrorView;
  if (!response.ok) throw new Error(errorText(body as ErrorView));
  return body as T;
}

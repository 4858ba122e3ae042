/// <reference lib="dom" />
// How a page's live part gets its data: one server-sent-events stream per
// open page (/api/live, one event per changed answer of a path it follows),
// or, when the browser has no EventSource or the server refuses the stream
// (too many open, an older server), polling each path at the refresh interval.
import type { LiveEvent } from '../model';
import { errorText, getJson } from './api';

export interface LiveHandlers {
  /** Every path has an answer: the latest of each, in the order of `paths`. */
  readonly answers: (answers: readonly unknown[]) => void;
  readonly failed: (message: string) => void;
}

export interface Following {
  /** 'sse' while the stream carries the page, 'polling' once it fell back. */
  readonly mode: () => 'sse' | 'polling';
  readonly stop: () => void;
}

export function follow(paths: readonly string[], refreshMs: number, on: LiveHandlers, onMode: (mode: 'sse' | 'polling') => void): Following {
  let mode: 'sse' | 'polling' = typeof EventSource === 'function' ? 'sse' : 'polling';
  let stopPolling: (() => void) | undefined;
  const fallBack = () => {
    mode = 'polling';
    onMode(mode);
    stopPolling = poll(paths, refreshMs, on);
  };
  let source: EventSource | undefined;
  if (mode === 'sse') {
    const latest = new Map<string, unknown>();
    source = new EventSource(`/api/live?${paths.map((p) => `path=${encodeURIComponent(p)}`).join('&')}`);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data as string) as LiveEvent;
      if (event.error !== undefined) return on.failed(errorText(event.error));
      latest.set(event.path, event.body);
      if (paths.every((p) => latest.has(p))) on.answers(paths.map((p) => latest.get(p)));
    };
    source.onerror = () => {
      // CONNECTING: the stream broke and EventSource opens it again by itself. CLOSED: refused (an answer that is not a stream).
      if (source?.readyState !== EventSource.CLOSED) return;
      source = undefined;
      fallBack();
    };
    onMode(mode);
  } else fallBack();
  return {
    mode: () => mode,
    stop: () => {
      source?.close();
      stopPolling?.();
    },
  };
}

/** Asks for every path now and again refreshMs after each round; returns how to stop. */
function poll(paths: readonly string[], refreshMs: number, on: LiveHandlers): () => void {
  let stopped = false;
  let timer: number | undefined;
  const round = async () => {
    try {
      const answers = await Promise.all(paths.map((p) => getJson<unknown>(p)));
      if (!stopped) on.answers(answers);
    } catch (e) {
      if (!stopped) on.failed((e as Error).message);
    }
    if (!stopped) timer = window.setTimeout(round, refreshMs);
  };
  void round();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

// What `rill worker` shows of itself: its status (RillStreams.status() with
// its worker id and epoch), written to the application's worker-status topic
// for every console, and with --console-port the console served from the
// worker itself (its brokers, its controllers, its pipeline's topology, and
// its own status live at /api/worker).
import { type ConsoleServer, WorkerStatusPublisher, type WorkerStatusView } from '../console/server';
import type { ControllerAddress } from '../core/cluster';
import type { HttpSecurity } from '../core/http';
import type { ClientSaslOptions, ClientTlsOptions } from '../core/protocol';
import type { LogClient } from '../core/client';
import type { RillStreams } from '../dsl';
import { startConsole, topologyView } from './console-command';
import type { CommandIO } from './io';

export interface WorkerView {
  readonly workerId: string;
  readonly streams: RillStreams;
  /** The worker's epoch in the controllers' membership now. */
  readonly epoch: () => number;
}

/** The worker's status as consoles show it: the application instance's own, and who and when. */
export function workerStatus(w: WorkerView, consoleUrl: () => string | undefined): () => Promise<WorkerStatusView> {
  return async () => ({ ...(await w.streams.status()), workerId: w.workerId, workerEpoch: w.epoch(), at: Date.now(), console: consoleUrl() ?? null });
}

/** Writes the worker's status every intervalMs to APP-worker-status, in the background (a failure is a warning: the worker runs on without it). */
export function publishWorkerStatus(
  w: WorkerView,
  o: { client: LogClient; intervalMs: number; replicationFactor: number; consoleUrl: () => string | undefined; warn: (line: string) => void },
): WorkerStatusPublisher {
  const publisher = new WorkerStatusPublisher({
    client: o.client,
    app: w.streams.applicationId,
    workerId: w.workerId,
    status: workerStatus(w, o.consoleUrl),
    intervalMs: o.intervalMs,
    replicationFactor: o.replicationFactor,
    warn: o.warn,
  });
  publisher.start();
  return publisher;
}

/** --console-port: the console in the worker's process, over the worker's brokers and controllers. */
export function workerConsole(
  w: WorkerView,
  o: {
    port: number;
    host: string;
    brokers: readonly string[];
    security: { tls?: ClientTlsOptions; sasl?: ClientSaslOptions };
    /** TLS and/or basic auth on the console's own port. */
    httpSecurity?: HttpSecurity;
    controllers: readonly ControllerAddress[];
    consoleUrl: () => string | undefined;
  },
  io: CommandIO,
): Promise<ConsoleServer> {
  return startConsole(
    {
      bootstrap: o.brokers.join(','),
      ...o.security,
      port: o.port,
      host: o.host,
      controllers: o.controllers,
      topologies: [topologyView(w.streams.topology)],
      worker: { id: w.workerId, status: workerStatus(w, o.consoleUrl) },
      security: o.httpSecurity,
    },
    `rill worker ${w.workerId}`,
    io,
  );
}

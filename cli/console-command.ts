// `rill console`: the read-only web console over any Kafka-compatible cluster
// (`rill broker`, a Rill cluster, Apache Kafka), and `--console-port` of `rill
// broker`, which serves the same console in-process over its own listener.
import * as E from 'fp-ts/Either';
import { ConsoleServer, type ConsoleOptions } from '../console/server';
import { type ControllerAddress, parseControllers } from '../core/cluster';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, noMoreArguments, parseCommand, UsageError } from './args';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { bootstrapOf, CommandError } from './wire';
import { loadPipeline } from './worker-pipeline';
import type { TopologyView } from '../console/server';
import type { Topology } from '../dsl';
import type { HttpSecurity } from '../core/http';
import { endpointSecurity, httpSecurityFlags } from './http-security';
import { BROKER_USERS, NO_BROKER_USERS, usersOfBrokers } from './broker-users';

const DEFAULT_PORT = 9021;

const SPEC = {
  port: { kind: 'number', help: 'HTTP port of the console (0 picks a free one)', defaultText: String(DEFAULT_PORT) },
  host: {
    kind: 'string',
    arg: 'ADDR',
    help: 'listen address (the console shows every record: keep it on loopback unless it is protected)',
    default: '127.0.0.1',
  },
  'schema-registry': {
    kind: 'string',
    arg: 'URL',
    help: 'schema registry REST URL: the Schemas page and Avro values decoded',
    defaultText: '$RILL_SCHEMA_REGISTRY or none',
  },
  'refresh-ms': { kind: 'number', help: 'how often the pages refresh', default: 5000 },
  controllers: {
    kind: 'string',
    arg: 'ID@HOST:PORT,...',
    help: "a Rill cluster's controllers: its quorum on the Cluster page, and the Stream apps page (workers and tasks)",
    defaultText: '$RILL_CONTROLLERS or none',
  },
  pipeline: { kind: 'string', arg: 'FILE', help: 'a pipeline module (as for rill worker): its topology on the Stream apps page' },
  app: { kind: 'string', arg: 'APP', help: 'the application id the --pipeline is built with', defaultText: "the pipeline's own" },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
  ...httpSecurityFlags('console', 'the console', BROKER_USERS),
} as const;

export const CONSOLE_HELP = commandHelp({
  title: 'rill console — a read-only web console of a cluster',
  usage: ['rill console --bootstrap HOST:PORT [--port 9021] [--schema-registry URL] [--controllers ID@HOST:PORT,...] [--pipeline FILE]'],
  spec: SPEC,
  notes: `Pages: Cluster (brokers, controller, partitions with leader, ISR and flags), Topics
(sizes, configs, partitions, a message browser), Consumer groups (members,
assignment, lag), Schemas (with --schema-registry) and Stream apps (workers and
tasks with --controllers, topologies with --pipeline). It reads through the Kafka protocol only, so it
works against rill broker, a Rill cluster and Apache Kafka. Stops on SIGTERM or SIGINT.`,
});

export const CONSOLE_PORT_FLAG = {
  kind: 'number',
  arg: 'PORT',
  help: 'serve the web console at http://HOST:PORT/ (0 picks a free port; the same address as --host)',
  defaultText: 'none',
} as const;

/** Runs until `stop` aborts. */
export function runConsole(argv: string[], io: CommandIO, stop: AbortSignal): Promise<number> {
  return runCommand('console', CONSOLE_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const bootstrap = bootstrapOf(flags, io);
    const refreshMs = flags['refresh-ms']!;
    if (!Number.isInteger(refreshMs) || refreshMs < 100) throw new UsageError('--refresh-ms must be an integer of at least 100');
    const controllersText = flags.controllers ?? io.env.RILL_CONTROLLERS;
    const controllers = controllersText === undefined ? undefined : parseControllers(controllersText);
    if (controllers !== undefined && E.isLeft(controllers)) throw new UsageError(`--controllers: ${controllers.left}`);
    const topology = flags.pipeline === undefined ? undefined : await loadPipeline(flags.pipeline, flags.app);
    if (topology !== undefined && E.isLeft(topology)) throw new CommandError(topology.left);
    const served = await startConsole(
      {
        bootstrap: bootstrap.servers,
        tls: bootstrap.tls,
        sasl: bootstrap.sasl,
        port: consolePort(flags.port) ?? DEFAULT_PORT,
        host: flags.host,
        security: endpointSecurity(flags, 'console', 'console', usersOfBrokers(bootstrap), NO_BROKER_USERS('console'))?.security,
        registry: flags['schema-registry'] ?? io.env.RILL_SCHEMA_REGISTRY,
        refreshMs,
        controllers: controllers?.right,
        topologies: topology && [topologyView(topology.right)],
      },
      'rill console',
      io,
    );
    if (!stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    await served.close();
  });
}

/** A pipeline's topology as the Stream apps page draws it. */
export function topologyView(t: Topology): TopologyView {
  return { app: t.applicationId, text: t.describe(), mermaid: t.toMermaid(), svg: t.toSvg() };
}

/** The --port / --console-port value, checked: undefined when not given. */
export function consolePort(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535))
    throw new UsageError('the console port must be a port number, 0 to 65535');
  return value;
}

/** The console's server, announced on stdout as `<who>: console on URL`. */
export async function startConsole(options: ConsoleOptions, who: string, io: CommandIO): Promise<ConsoleServer> {
  try {
    const server = await ConsoleServer.start(options);
    io.stdout.write(`${who}: console on ${server.url}/ (brokers ${options.bootstrap})\n`);
    return server;
  } catch (e) {
    throw new CommandError(`cannot serve the console on ${options.host ?? '127.0.0.1'}:${options.port}: ${(e as Error).message}`);
  }
}

/**
 * `--console-port` of `rill broker` (and of a cluster node with the broker
 * role): the console in the broker's process, reading it over its first
 * PLAINTEXT listener (and its schema registry, when it serves one).
 */
export function inProcessConsole(
  at: { port: number; host: string; who: string; security?: HttpSecurity },
  listeners: readonly { readonly protocol: string; readonly host: string; readonly port: number }[],
  registry: { host: string; port: number } | undefined,
  io: CommandIO,
  controllers?: readonly ControllerAddress[],
): Promise<ConsoleServer> {
  const plain = listeners.find((l) => l.protocol === 'PLAINTEXT');
  if (plain === undefined)
    throw new CommandError(
      '--console-port reads the broker over a PLAINTEXT listener and this broker has none; run "rill console --command-config FILE" instead',
    );
  return startConsole(
    {
      bootstrap: `${reachable(plain.host)}:${plain.port}`,
      port: at.port,
      host: at.host,
      security: at.security,
      registry: registry && `http://${reachable(registry.host)}:${registry.port}`,
      controllers,
    },
    at.who,
    io,
  );
}

/** An address to connect to for one to listen on: a wildcard is reached on loopback. */
function reachable(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

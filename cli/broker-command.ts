// `rill broker`: the broker of `Rill.open`, served over TCP in the Kafka
// protocol, with the schema registry's REST API on its own port. SIGTERM or
// SIGINT shut it down gracefully: stop accepting, answer what is in flight,
// flush the logs, close.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../core/broker';
import { auth, fileAclPort, KafkaServer, sasl, singleNodePorts, userPasswordMatches } from '../core/protocol';
import { AUTHORIZER_FLAGS, authorizerConfig, authorizerFlagsAsConfig } from './authorizer-config';
import { lineLog, type Logger } from '../core/logging';
import { DirLockedError, openBrokerSchemaRegistry } from '../core/client';
import { startSchemaRegistryServer, SchemaRegistry, SchemaRegistryServer } from '../core/schema';
import { commandHelp, noMoreArguments, parseCommand, UsageError } from './args';
import { applyConfig, BrokerSettings, completeSettings, DEFAULT_SETTINGS, listenerTls, readConfigFile, TLS_FLAGS, tlsFlagsAsConfig } from './broker-config';
import { isClusterNode, runClusterNode } from './cluster-command';
import { brokerListeners, exposureWarnings, LISTENER_FLAGS, listenerFlagsAsConfig, listenerServerOptions } from './listener-config';
import { runCommand } from './command';
import { CommandIO } from './io';
import { commandLogger, LOG_LEVEL_FLAG } from './logging';
import { CommandError } from './wire';
import { METRICS_PORT_FLAG, metricsPort, metricsSecurityFlags, serveMetrics } from './metrics-flag';
import { endpointSecurity, httpSecurityFlags } from './http-security';
import { registryAuthorizer } from './schema-registry-acls';
import { SCHEMA_REGISTRY_FLAGS, schemaRegistryExposureWarning, schemaRegistryFlagsAsConfig, schemaRegistrySecurity } from './schema-registry-config';
import type { MetricsServer, Registry } from '../core/metrics';
import { CONSOLE_PORT_FLAG, consolePort, inProcessConsole } from './console-command';
import type { ConsoleServer } from '../console/server';
import { TRANSACTION_FLAGS, transactionFlagsAsConfig, transactionSettings } from './transaction-config';

const SPEC = {
  'data-dir': {
    kind: 'string',
    arg: 'DIR',
    help: 'where topics, offsets and schemas live (created if missing; locked while the broker runs); config key data.dir or log.dirs',
  },
  port: { kind: 'number', help: 'Kafka protocol port (0 picks a free one); config key port', defaultText: String(DEFAULT_SETTINGS.port) },
  host: { kind: 'string', arg: 'ADDR', help: 'listen address; config key host', defaultText: DEFAULT_SETTINGS.host },
  'advertised-host': {
    kind: 'string',
    arg: 'HOST',
    help: 'host clients are told to connect to; config key advertised.host',
    defaultText: 'the address each client used',
  },
  'node-id': { kind: 'number', help: "this broker's node id; config key node.id", defaultText: String(DEFAULT_SETTINGS.nodeId) },
  'schema-registry-port': {
    kind: 'number',
    help: 'schema registry REST port (0 picks a free one, -1 none); config key schema.registry.port',
    defaultText: String(DEFAULT_SETTINGS.schemaRegistryPort),
  },
  'no-schema-registry': { kind: 'boolean', help: 'do not serve the schema registry' },
  ...SCHEMA_REGISTRY_FLAGS,
  'no-auto-create-topics': { kind: 'boolean', help: 'Metadata requests do not create missing topics; config key auto.create.topics.enable' },
  'recover-corruption': {
    kind: 'boolean',
    help: 'repair damaged partitions on start (cut at the damage, the rest moved aside); config key log.recover.corruption',
  },
  'metrics-port': METRICS_PORT_FLAG,
  ...metricsSecurityFlags("the broker's users (rill user)"),
  'console-port': CONSOLE_PORT_FLAG,
  ...httpSecurityFlags('console', 'the console port', "the broker's users (rill user)"),
  ...TLS_FLAGS,
  ...AUTHORIZER_FLAGS,
  ...TRANSACTION_FLAGS,
  ...LOG_LEVEL_FLAG,
  ...LISTENER_FLAGS,
  config: {
    kind: 'string',
    arg: 'FILE',
    help: 'settings file: key=value lines (a Kafka server.properties: keys Rill does not know are warned about and skipped) or JSON; flags override it. Also socket.request.max.bytes, connections.max.idle.ms, schema.registry.host',
  },
} as const;

export const BROKER_HELP = commandHelp({
  title: 'rill broker — run a Kafka-compatible broker on a data directory',
  usage: ['rill broker --data-dir DIR [--port 9092] [options]'],
  spec: SPEC,
  notes: `With --controllers it runs a node of a Rill cluster instead (see
"rill broker --controllers x --help").

A second process on the same --data-dir is refused (the directory's .lock names
the holder's pid); a lock left by a process that died is taken over.
Stops gracefully on SIGTERM or SIGINT (long polls end at once).`,
});

/** Runs until `stop` aborts (the process wires SIGTERM/SIGINT to it). */
export function runBroker(argv: string[], io: CommandIO, stop: AbortSignal): Promise<number> {
  if (isClusterNode(argv)) return runClusterNode(argv, io, stop);
  return runCommand('broker', BROKER_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const metrics = metricsPort(flags['metrics-port']);
    const consoleAt = consolePort(flags['console-port']);
    const logger = commandLogger(io, flags['log-level']);
    const partial: Partial<BrokerSettings> = {};
    if (flags.config) for (const w of applyConfig(partial, readConfigFile(flags.config), flags.config)) logger.warn(w);
    const fromFlags: Record<string, string> = {};
    if (flags['data-dir'] !== undefined) fromFlags['data.dir'] = flags['data-dir'];
    if (flags.port !== undefined) fromFlags.port = String(flags.port);
    if (flags.host !== undefined) fromFlags.host = flags.host;
    if (flags['advertised-host'] !== undefined) fromFlags['advertised.host'] = flags['advertised-host'];
    if (flags['node-id'] !== undefined) fromFlags['node.id'] = String(flags['node-id']);
    if (flags['schema-registry-port'] !== undefined) fromFlags['schema.registry.port'] = String(flags['schema-registry-port']);
    if (flags['no-auto-create-topics']) fromFlags['auto.create.topics.enable'] = 'false';
    if (flags['recover-corruption']) fromFlags['log.recover.corruption'] = 'true';
    Object.assign(
      fromFlags,
      tlsFlagsAsConfig(flags),
      authorizerFlagsAsConfig(flags),
      listenerFlagsAsConfig(flags),
      schemaRegistryFlagsAsConfig(flags),
      transactionFlagsAsConfig(flags),
    );
    applyConfig(partial, fromFlags, 'flags');
    if (flags['no-schema-registry']) partial.schemaRegistryPort = -1;
    if (partial.listeners !== undefined && (partial.host !== undefined || partial.port !== undefined))
      throw new UsageError('listeners (--listeners) name every address and port: leave out host and port (--host, --port)');
    return serve(completeSettings(partial), { metrics, console: consoleAt, flags }, io, stop, logger);
  });
}

async function serve(
  s: BrokerSettings,
  httpPorts: { metrics?: number; console?: number; flags: Readonly<Record<string, unknown>> },
  io: CommandIO,
  stop: AbortSignal,
  logger: Logger,
): Promise<number> {
  try {
    fs.mkdirSync(path.join(s.dataDir, 'log'), { recursive: true });
  } catch (e) {
    throw new CommandError(`cannot use data directory ${s.dataDir}: ${(e as Error).message}`);
  }
  // The same layout as Rill.open({ dir }): the broker in <dir>/log, the registry
  // in its compacted _schemas topic (so Kafka tools and Rill.open see the same schemas).
  const limits = {
    fetchMaxBytes: s.fetchMaxBytes,
    maxBrokerPartitions: s.maxBrokerPartitions,
    maxPartitionsPerRequest: s.maxPartitionsPerRequest,
    maxOpenFiles: s.maxOpenFiles,
  };
  let broker: Broker;
  try {
    broker = Broker.open({
      dir: path.join(s.dataDir, 'log'),
      nodeId: s.nodeId,
      recoverCorruption: s.recoverCorruption,
      limits,
      transactions: transactionSettings(s),
      onWarning: lineLog(logger, 'warn'),
    });
  } catch (e) {
    if (e instanceof DirLockedError) throw new CommandError(e.message);
    throw e;
  }
  const servers: KafkaServer[] = [];
  let acls: ReturnType<typeof fileAclPort> | undefined;
  let registry: SchemaRegistry | undefined;
  let registryServer: SchemaRegistryServer | undefined;
  let metrics: { registry: Registry; server: MetricsServer } | undefined;
  let consoleServer: ConsoleServer | undefined;
  const tls = listenerTls(s);
  const listeners = brokerListeners(s, tls);
  try {
    // The authorizer's ACLs live beside the log, in <data-dir>/acls.checkpoint.
    const authorizer = authorizerConfig(s);
    acls = authorizer && fileAclPort(s.dataDir, authorizer);
    // SCRAM users of DIR/scram-credentials.json (rill user, AlterUserScramCredentials): served on every listener, checked on the SASL ones,
    // and on the HTTP endpoints' basic auth.
    const security = sasl.credentialStorePort(new sasl.FileCredentialStore(s.dataDir));
    const users = (user: string, password: string) => userPasswordMatches(security, user, password);
    if (httpPorts.metrics !== undefined)
      metrics = await serveMetrics(httpPorts.metrics, s.host, 'rill broker', io, endpointSecurity(httpPorts.flags, 'metrics', 'metrics port', users)?.security);
    const ports = { ...singleNodePorts(broker), security, acls };
    for (const spec of listeners) {
      servers.push(
        await KafkaServer.start({
          ports,
          ...listenerServerOptions(spec, s, tls, security),
          maxFrameBytes: s.maxFrameBytes,
          maxConnections: s.maxConnections,
          maxConnectionsPerIp: s.maxConnectionsPerIp,
          queuedMaxRequestBytes: s.queuedMaxRequestBytes,
          requestReceiveTimeoutMs: s.requestReceiveTimeoutMs,
          idleTimeoutMs: s.idleTimeoutMs,
          autoCreateTopics: s.autoCreateTopics,
          logger,
          // One registry: the first listener's server counts for the broker (its partitions and groups), every listener its requests.
          metrics: servers.length === 0 ? metrics?.registry : undefined,
        }),
      );
    }
    if (s.schemaRegistryPort >= 0) {
      registry = openBrokerSchemaRegistry(broker);
      registryServer = await startSchemaRegistryServer({
        registry,
        port: s.schemaRegistryPort,
        host: s.schemaRegistryHost,
        // Basic auth checks the users of DIR/scram-credentials.json, as the SASL listeners do; the authorizer's ACLs guard the subjects.
        ...schemaRegistrySecurity(s, users, 'schema.registry.authentication.method=BASIC needs users'),
        authorize: acls && registryAuthorizer(() => acls!),
      });
    }
    if (httpPorts.console !== undefined)
      consoleServer = await inProcessConsole(
        { port: httpPorts.console, host: s.host, who: 'rill broker', security: endpointSecurity(httpPorts.flags, 'console', 'console port', users)?.security },
        listeners.map((spec, i) => ({ protocol: spec.protocol, host: spec.host, port: servers[i].port })),
        registryServer && { host: s.schemaRegistryHost, port: registryServer.port },
        io,
      );
  } catch (e) {
    for (const server of servers) await server.close(0);
    await metrics?.server.close();
    registry?.close();
    await broker.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      throw new CommandError(`port already in use (${err.message}); pick another with --port / --listeners / --schema-registry-port`);
    throw new CommandError(err.message);
  }
  for (const warning of exposureWarnings(listeners, tls, s)) logger.warn(warning);
  const registryWarning = registryServer && schemaRegistryExposureWarning(s.schemaRegistryHost, s);
  if (registryWarning) logger.warn(registryWarning);
  listeners.forEach((spec, i) =>
    io.stdout.write(
      `rill broker: listening on ${spec.host}:${servers[i].port} ${servers[i].securityProtocol}${spec.name !== spec.protocol ? ` (listener ${spec.name})` : ''} (node ${broker.nodeId}, cluster ${broker.clusterId}, data ${s.dataDir})\n`,
    ),
  );
  if (acls) io.stdout.write(`rill broker: authorizer on (ACLs in ${path.join(s.dataDir, auth.ACLS_FILE)})\n`);
  if (registryServer)
    io.stdout.write(
      `rill broker: schema registry on ${registryServer.url}${s.schemaRegistryAuthenticationMethod?.toUpperCase() === 'BASIC' ? ' (basic auth)' : ''}\n`,
    );

  if (!stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  logger.info('shutting down: no new connections, finishing requests in flight');
  await consoleServer?.close();
  await Promise.all(servers.map((server) => server.close(10000)));
  await metrics?.server.close();
  await registryServer?.close();
  registry?.close();
  const started = performance.now();
  const closed = await broker.close();
  const ms = Math.round(performance.now() - started);
  if (closed.failed.length === 0) {
    // The message stays the same line scripts wait for; the figures are fields.
    logger.info({ partitionLogs: closed.logs, closeMs: ms }, 'stopped: logs flushed and closed');
    return 0;
  }
  // Each failure was logged with its error (Broker's onWarning); the exit code tells a supervisor the disk needs a look.
  logger.error(
    { partitionLogs: closed.logs, closeMs: ms },
    `stopped: ${closed.failed.length} of ${closed.logs} partition logs could not be made durable (${listed(closed.failed.map((f) => f.partition))}); the next start recovers them: check the disk`,
  );
  return 1;
}

/** The first names of a list that may hold thousands, and how many more. */
function listed(names: readonly string[], shown = 10): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

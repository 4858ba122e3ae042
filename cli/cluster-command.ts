// `rill broker --controllers ...`: a node of a Rill cluster. With --controller
// it is a controller (the metadata Raft quorum); without, a broker that
// registers with the controllers and serves the Kafka protocol.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { BrokerProcess, clusterSecurityPort, ControllerProcess, parseControllers, validRack } from '../core/cluster';
import { commandHelp, noMoreArguments, numberFlag, parseCommand, UsageError } from './args';
import { AUTHORIZER_FLAGS, authorizerConfig } from './authorizer-config';
import { applyConfig, BrokerSettings, listenerTls, TLS_FLAGS, tlsFlagsAsConfig } from './broker-config';
import { type ListenerSpec, ListenerTls, userPasswordMatches, usesSasl } from '../core/protocol';
import { brokerListeners, enabledSaslMechanisms, exposureWarnings, LISTENER_FLAGS, listenerSslFlagsAsConfig, listenerTlsOf } from './listener-config';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { commandLogger, LOG_LEVEL_FLAG } from './logging';
import { CommandError } from './wire';
import { METRICS_PORT_FLAG, metricsPort, metricsSecurityFlags, serveMetrics } from './metrics-flag';
import { endpointSecurity, httpSecurityFlags } from './http-security';
import { CONSOLE_PORT_FLAG, consolePort, inProcessConsole } from './console-command';
import { INTERNAL_TLS_FLAGS, internalExposureWarning, internalTlsOf } from './internal-tls-flags';
import { TRANSACTION_FLAGS, transactionSettingsOfFlags } from './transaction-config';

/** Whose passwords a cluster node's HTTP ports check: the cluster's SCRAM users, as its broker holds them. */
const NODE_USERS = "the cluster's users (rill user), on a node with the broker role";
const NO_NODE_USERS = (prefix: string) =>
  `--${prefix}-basic-auth checks the cluster's users at this node's broker, and a controller-only node has none: protect its ${prefix} port with client certificates (--${prefix}-ssl-client-auth required and --${prefix}-ssl-ca)`;

const SPEC = {
  controller: { kind: 'boolean', help: 'run a controller (a voter of the metadata quorum); with --port too, the node is controller and broker' },
  join: { kind: 'boolean', help: 'controller: join an existing quorum (then run rill cluster add-controller) instead of founding one' },
  'node-id': { kind: 'number', help: "this node's id (a controller's must be in --controllers); required" },
  controllers: { kind: 'string', arg: 'LIST', help: 'the controller quorum, ID@HOST:PORT comma-separated; required' },
  'data-dir': { kind: 'string', arg: 'DIR', help: 'where this node keeps its logs (created if missing; locked while the node runs); required' },
  port: { kind: 'number', arg: 'P', help: 'broker: Kafka port (replication on P+1)', defaultText: '9092' },
  host: { kind: 'string', arg: 'ADDR', help: 'listen address', defaultText: '127.0.0.1' },
  'no-auto-create-topics': { kind: 'boolean', help: 'broker: Metadata requests do not create missing topics (auto.create.topics.enable=false)' },
  'advertised-host': { kind: 'string', arg: 'HOST', help: 'broker: host other brokers and clients connect to', defaultText: '--host' },
  rack: {
    kind: 'string',
    arg: 'NAME',
    help: "broker: its rack (broker.rack); a partition's replicas are spread across racks, so losing one rack loses no partition",
    defaultText: 'none',
  },
  'broker-session-timeout-ms': numberFlag('controller: fence a broker silent this long', 9000),
  'broker-disconnect-grace-ms': numberFlag('controller: fence a broker this long after its connection closes, unless it heartbeats again', 500),
  'worker-session-timeout-ms': numberFlag('controller: move the tasks of a worker silent this long', 10000),
  'max-broker-partitions': numberFlag('controller: replicas one broker may host, all topics together (max.broker.partitions)', 100000),
  'heartbeat-interval-ms': numberFlag('broker: heartbeat period', 250),
  'replica-lag-time-max-ms': numberFlag('broker: a follower this far behind leaves the ISR', 10000),
  'metrics-port': METRICS_PORT_FLAG,
  ...metricsSecurityFlags(NODE_USERS),
  'console-port': { ...CONSOLE_PORT_FLAG, help: `${CONSOLE_PORT_FLAG.help}; a node with the broker role only` },
  ...httpSecurityFlags('console', 'the console port', NODE_USERS),
  ...TLS_FLAGS,
  ...INTERNAL_TLS_FLAGS,
  ...AUTHORIZER_FLAGS,
  ...TRANSACTION_FLAGS,
  ...LOG_LEVEL_FLAG,
  ...LISTENER_FLAGS,
} as const;

export const CLUSTER_HELP = commandHelp({
  title: 'rill broker --controllers ... — a node of a Rill cluster',
  usage: [
    'rill broker --controller --node-id N --controllers 1@HOST:PORT,2@HOST:PORT,3@HOST:PORT --data-dir DIR',
    'rill broker --node-id N --controllers 1@HOST:PORT,... --port P --data-dir DIR',
    'rill broker --controller --node-id N --controllers ... --port P --data-dir DIR   (both roles in one process)',
    'rill broker --controller --join --node-id N --controllers ...,N@HOST:PORT --data-dir DIR   (a controller to add)',
  ],
  spec: SPEC,
  notes: `A controller serves brokers on its listed PORT and talks Raft to the other
controllers on PORT+1. A broker serves Kafka clients on --port P and
replicates with other brokers on P+1.

\`rill cluster status --controllers LIST\` shows the cluster: controllers, brokers,
partitions (leader, ISR, lag), workers. docs/cluster.md starts a 3-node cluster.

Stops on SIGTERM or SIGINT and prints a "stopped" line.`,
});

/** Controller and broker in one process: --controller with a broker --port (or --listeners). */
function combined(flags: { controller?: boolean; port?: number; listeners?: string }): boolean {
  return flags.controller === true && (flags.port !== undefined || flags.listeners !== undefined);
}

/** `rill broker` arguments that ask for a cluster node rather than the single-node broker. */
export function isClusterNode(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--controller' || a === '--controllers' || a.startsWith('--controllers='));
}

export function runClusterNode(argv: string[], io: CommandIO, stop: AbortSignal): Promise<number> {
  return runCommand('broker', CLUSTER_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    if (flags['node-id'] === undefined || !Number.isInteger(flags['node-id']) || flags['node-id'] < 0)
      throw new UsageError('--node-id N (a non-negative integer) is required');
    if (flags['data-dir'] === undefined) throw new UsageError('--data-dir DIR is required');
    if (flags.rack !== undefined && !validRack(flags.rack))
      throw new UsageError(`--rack: ${JSON.stringify(flags.rack)} is not a rack name (1 to 255 printable characters, no spaces)`);
    if (flags.rack !== undefined && flags.controller && !combined(flags))
      throw new UsageError('--rack is a broker setting; a controller-only node (no --port) has no rack');
    if (flags.join && !flags.controller) throw new UsageError('--join is for a controller (--controller) joining an existing quorum');
    const tlsSettings: Partial<BrokerSettings> = {};
    applyConfig(tlsSettings, { ...tlsFlagsAsConfig(flags), ...listenerSslFlagsAsConfig(flags) }, 'flags');
    const kafkaTls = listenerTls(tlsSettings);
    const transactions = transactionSettingsOfFlags(flags);
    if (Object.keys(transactions).length > 0 && flags.controller && !combined(flags))
      throw new UsageError('--transaction-* settings are for a broker (its transaction coordinator); a controller-only node (no --port) has none');
    const authorizer = authorizerConfig({ authorizer: flags.authorizer ? 'rill' : undefined, superUsers: flags['super-users'] });
    if (authorizer && flags.controller && !combined(flags))
      throw new UsageError('--authorizer is for a broker; a controller-only node (no --port) serves no Kafka clients');
    if ((kafkaTls || tlsSettings.listenerSsl || flags['sasl-mechanisms'] !== undefined) && flags.controller && !combined(flags))
      throw new UsageError('--ssl-* and --sasl-mechanisms are for the Kafka listener of a broker; a controller-only node (no --port) has none');
    if (flags.listeners !== undefined && (flags.port !== undefined || flags.host !== undefined))
      throw new UsageError("--listeners names every address and port: leave out --host and --port (replication is on the first listener's port + 1)");
    // The Kafka listeners: --listeners (the first one anchors replication on its port + 1), else one of --host/--port.
    const listenerSettings = {
      host: flags.host ?? '127.0.0.1',
      port: flags.port ?? 9092,
      saslEnabledMechanisms: flags['sasl-mechanisms'],
      listeners: flags.listeners,
      listenerSecurityProtocolMap: flags['listener-security-protocol-map'],
      advertisedListeners: flags['advertised-listeners'],
      listenerSsl: tlsSettings.listenerSsl,
    };
    const listeners = brokerListeners(listenerSettings, kafkaTls);
    const [first, ...more] = listeners;
    if (first.port === 0 || (first.advertisedPort !== undefined && first.advertisedPort !== first.port))
      throw new UsageError(`listener ${first.name}: the first listener needs a port of its own (not 0), advertised as it is: replication is on its port + 1`);
    const reauthMs = flags['connections-max-reauth-ms'];
    if (reauthMs !== undefined && (!Number.isInteger(reauthMs) || reauthMs < 0))
      throw new UsageError(`--connections-max-reauth-ms must be a whole number of milliseconds, 0 or more, not ${reauthMs}`);
    const saslOf = (spec: ListenerSpec) => (usesSasl(spec.protocol) ? { mechanisms: enabledSaslMechanisms(listenerSettings), reauthMs } : undefined);
    const tlsOf = (spec: ListenerSpec) => listenerTlsOf(spec, listenerSettings, kafkaTls);
    try {
      // Bad files fail before any port is bound.
      for (const spec of listeners) {
        const files = tlsOf(spec);
        if (files) ListenerTls.load(files);
      }
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    const controllers = parseControllers(flags.controllers ?? '');
    if (E.isLeft(controllers)) throw new UsageError(`--controllers: ${controllers.left}`);
    const internalTls = internalTlsOf(flags);
    // The hosts its internal links bind: the controller's (RPC and Raft), the broker's replication.
    const internalHosts = [
      ...(flags.controller ? [flags.host ?? controllers.right.find((c) => c.id === flags['node-id'])?.host ?? '127.0.0.1'] : []),
      ...(!flags.controller || combined(flags) ? [first.host] : []),
    ];
    const metricsAt = metricsPort(flags['metrics-port']);
    const consoleAt = consolePort(flags['console-port']);
    if (consoleAt !== undefined && flags.controller && !combined(flags))
      throw new UsageError('--console-port needs the broker role (a controller has no Kafka listener to read): give it to a broker node');
    try {
      fs.mkdirSync(flags['data-dir'], { recursive: true });
    } catch (e) {
      throw new CommandError(`cannot use data directory ${flags['data-dir']}: ${(e as Error).message}`);
    }
    const logger = commandLogger(io, flags['log-level']);
    const nodeId = flags['node-id'];
    const stops: (() => Promise<void>)[] = [];
    const stopAll = async () => {
      for (const s of stops.reverse()) await s();
    };
    // Both roles in one process (KRaft's combined mode) keep their files apart.
    const bothRoles = combined(flags);
    const dataDir = flags['data-dir'];
    // HTTPS and basic auth on the node's HTTP ports; passwords are checked against the cluster's SCRAM users in its
    // broker's metadata image (none answer before the broker runs).
    let nodeBroker: BrokerProcess | undefined;
    const users =
      flags.controller && !bothRoles
        ? undefined
        : (user: string, password: string) => nodeBroker !== undefined && userPasswordMatches(clusterSecurityPort(nodeBroker, []), user, password);
    const metricsSecurity = endpointSecurity(flags, 'metrics', 'metrics port', users, NO_NODE_USERS('metrics'))?.security;
    const consoleSecurity = endpointSecurity(flags, 'console', 'console port', users, NO_NODE_USERS('console'))?.security;
    // One registry for the node: a combined node's controller and broker metrics side by side.
    const metrics = metricsAt === undefined ? undefined : await serveMetrics(metricsAt, flags.host ?? '127.0.0.1', `rill node ${nodeId}`, io, metricsSecurity);
    if (metrics) stops.push(() => metrics.server.close());
    if (flags.controller) {
      const started = await ControllerProcess.start({
        nodeId,
        controllers: controllers.right,
        dataDir: bothRoles ? path.join(dataDir, 'controller') : dataDir,
        host: flags.host,
        join: flags.join,
        internalTls,
        metrics: metrics?.registry,
        config: {
          ...(flags['broker-session-timeout-ms'] !== undefined ? { brokerSessionTimeoutMs: flags['broker-session-timeout-ms'] } : {}),
          ...(flags['broker-disconnect-grace-ms'] !== undefined ? { brokerDisconnectGraceMs: flags['broker-disconnect-grace-ms'] } : {}),
          ...(flags['worker-session-timeout-ms'] !== undefined ? { workerSessionTimeoutMs: flags['worker-session-timeout-ms'] } : {}),
          ...(flags['max-broker-partitions'] !== undefined ? { maxBrokerPartitions: flags['max-broker-partitions'] } : {}),
        },
        logger,
      });
      if (E.isLeft(started)) {
        await stopAll();
        throw new CommandError(started.left);
      }
      stops.push(() => started.right.stop());
      const me = controllers.right.find((c) => c.id === nodeId)!;
      io.stdout.write(
        `rill controller ${nodeId}: serving brokers on ${me.host}:${me.port}, raft on ${me.raftPort}${internalTls ? ' over mutual TLS' : ''} (data ${dataDir})\n`,
      );
    }
    if (!flags.controller || bothRoles) {
      const port = first.port;
      const started = await BrokerProcess.start({
        nodeId,
        controllers: controllers.right,
        dataDir: bothRoles ? path.join(dataDir, 'broker') : dataDir,
        port,
        host: first.host,
        advertisedHost: first.advertisedHost ?? flags['advertised-host'],
        listenerName: flags.listeners !== undefined ? first.name : undefined,
        extraListeners: more.map((spec) => ({
          name: spec.name,
          port: spec.port,
          host: spec.host,
          advertisedHost: spec.advertisedHost,
          advertisedPort: spec.advertisedPort,
          tls: tlsOf(spec),
          sasl: saslOf(spec),
        })),
        autoCreateTopics: flags['no-auto-create-topics'] !== true,
        rack: flags.rack ?? null,
        heartbeatIntervalMs: flags['heartbeat-interval-ms'],
        replicaLagTimeMaxMs: flags['replica-lag-time-max-ms'],
        transactions,
        kafkaTls: tlsOf(first),
        internalTls,
        authorizer,
        kafkaSasl: saslOf(first),
        logger,
        metrics: metrics?.registry,
      });
      if (E.isLeft(started)) {
        await stopAll();
        throw new CommandError(started.left);
      }
      stops.push(() => started.right.stop());
      nodeBroker = started.right;
      for (const warning of exposureWarnings(listeners, kafkaTls, listenerSettings)) logger.warn(warning);
      // Named listeners are listed with the address each advertises.
      const named = started.right.namedListeners;
      const kafka = named.length > 0 ? `Kafka listeners ${named.map((l) => `${l.name} on ${l.host}:${l.port}`).join(', ')}` : `Kafka on ${first.host}:${port}`;
      io.stdout.write(`rill broker ${nodeId}: ${kafka}, replication on ${port + 1}${internalTls ? ' over mutual TLS' : ''} (data ${dataDir})\n`);
      if (consoleAt !== undefined) {
        const served = await inProcessConsole(
          { port: consoleAt, host: first.host, who: `rill broker ${nodeId}`, security: consoleSecurity },
          // The first listener's port is fixed (replication is on its port + 1); the others as configured.
          listeners.map((l, i) => ({ protocol: l.protocol, host: l.host, port: i === 0 ? port : l.port })),
          undefined,
          io,
          controllers.right,
        ).catch(async (e) => {
          await stopAll();
          throw e;
        });
        stops.push(() => served.close());
      }
    }
    const exposed = internalExposureWarning(internalHosts, internalTls);
    if (exposed) logger.warn(exposed);
    if (!stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    logger.info('shutting down');
    await stopAll();
    logger.info('stopped');
    return 0;
  });
}

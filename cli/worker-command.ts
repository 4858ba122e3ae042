// `rill worker`: runs a DSL application on a Rill cluster. The controllers
// assign the application's tasks (its input partitions) to the live workers;
// this process joins, heartbeats on a thread of its own (worker-membership-thread.ts), and
// runs the pipeline with RillStreams over core/client's Rill protocol LogClient against the
// brokers, on exactly the partitions it is assigned: a revoked task is
// committed and closed, an added one restored from its changelog before it
// processes. SIGTERM/SIGINT: stop processing, commit, leave (the tasks move at
// once), exit 0.
import * as os from 'node:os';
import * as E from 'fp-ts/Either';
import { DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS, protocolLogClient } from '../core/client';
import { parseControllers, startableMembership, taskPartition, type AssignmentChange } from '../core/cluster';
import { lineLog } from '../core/logging';
import { RillStreams, type Topology } from '../dsl';
import { COMMAND_CONFIG_FLAG, commandHelp, noMoreArguments, numberFlag, parseCommand, UsageError } from './args';
import { INTERNAL_TLS_FLAGS, internalTlsOf } from './internal-tls-flags';
import { readConfigFile } from './broker-config';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { commandLogger, LOG_LEVEL_FLAG } from './logging';
import { clientSecurity, CommandError } from './wire';
import { RestoreProgress } from './progress';
import { loadPipeline } from './worker-pipeline';
import { METRICS_PORT_FLAG, metricsPort, metricsSecurityFlags } from './metrics-flag';
import { endpointSecurity, httpSecurityFlags } from './http-security';
import { BROKER_USERS, NO_BROKER_USERS, usersOfBrokers } from './broker-users';
import { metricsRegistry } from '../core/metrics';
import { CONSOLE_PORT_FLAG, consolePort } from './console-command';
import { publishWorkerStatus, type WorkerView, workerConsole } from './worker-console';

const DEFAULT_STATUS_INTERVAL_MS = 2000;

const SPEC = {
  app: { kind: 'string', arg: 'APP', help: 'the application id (consumer group, changelog prefix); required' },
  pipeline: { kind: 'string', arg: 'FILE', help: 'the pipeline module; required' },
  controllers: { kind: 'string', arg: 'LIST', help: 'the controller quorum, ID@HOST:PORT comma-separated; required' },
  brokers: { kind: 'string', arg: 'LIST', help: 'Kafka bootstrap brokers, HOST:PORT comma-separated; required' },
  'state-dir': { kind: 'string', arg: 'DIR', help: 'local store snapshots (restore then replays only what follows); locked while the worker runs' },
  'worker-id': { kind: 'string', arg: 'ID', help: 'stable id: a restart with the same id keeps its tasks', defaultText: 'HOSTNAME-PID' },
  'heartbeat-interval-ms': numberFlag('heartbeat period', 500),
  'session-timeout-ms': numberFlag("with no heartbeat answered this long, the worker drops its tasks (the controllers' own timeout once they answer)", 10000),
  'max-poll-interval-ms': numberFlag(
    'heartbeats run on their own thread, so slow processing keeps the tasks; processing stuck this long gives them up',
    300000,
  ),
  'standby-replicas': numberFlag('num.standby.replicas asked for', 0),
  'commit-interval-ms': numberFlag('how often offsets are committed', 1000),
  'processing-guarantee': {
    kind: 'string',
    arg: 'at-least-once|exactly-once',
    help: "exactly-once: each commit interval's writes and offsets are one transaction (transactional id APP-eos-WORKER_ID)",
    default: 'at-least-once',
  },
  'replication-factor': numberFlag(
    "copies of each partition of the topics the application creates (repartition, changelog, sinks); -1: the cluster's default",
    -1,
  ),
  'join-timeout-ms': numberFlag('give up when no controller accepts the join this long', 15000),
  'metrics-port': { ...METRICS_PORT_FLAG, help: 'serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0 picks a free port)' },
  ...metricsSecurityFlags(BROKER_USERS),
  'query-port': {
    kind: 'number',
    arg: 'PORT',
    help: 'serve interactive queries of the stores over HTTP on this port (0 picks a free port); docs/dsl.md',
    defaultText: 'none',
  },
  'query-host': { kind: 'string', arg: 'HOST', help: 'the address the query port listens on', defaultText: '127.0.0.1' },
  'application-server': { kind: 'string', arg: 'HOST:PORT', help: "where the other instances reach this one's queries", defaultText: 'QUERY-HOST:QUERY-PORT' },
  'console-port': {
    ...CONSOLE_PORT_FLAG,
    help: "serve the web console at http://CONSOLE-HOST:PORT/, with this worker's status at /api/worker (0 picks a free port)",
  },
  'console-host': { kind: 'string', arg: 'HOST', help: 'the address the console listens on', default: '127.0.0.1' },
  ...httpSecurityFlags('console', 'the console', BROKER_USERS),
  'status-interval-ms': numberFlag(
    'how often the worker writes its status (tasks, restore progress, lag) to APP-worker-status for the consoles; 0: never',
    DEFAULT_STATUS_INTERVAL_MS,
  ),
  ...httpSecurityFlags(
    'query',
    'the query port (every worker of the app alike: with TLS they forward to each other over https, trusting --query-ssl-ca)',
    BROKER_USERS,
  ),
  ...LOG_LEVEL_FLAG,
  'broker-unavailable-timeout-ms': numberFlag(
    'ride out a broker that died (leaders and group coordinators move once the controller fences it), retrying with backoff this long before the application fails',
    DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS,
  ),
  ...INTERNAL_TLS_FLAGS,
  'command-config': { ...COMMAND_CONFIG_FLAG, help: "the brokers' client settings: security.protocol, ssl.*, sasl.* (Kafka's client properties)" },
} as const;

export const WORKER_HELP = commandHelp({
  title: "rill worker — run a DSL application's tasks, as the Rill controllers assign them",
  usage: ['rill worker --app APP --pipeline FILE --controllers 1@HOST:PORT,... --brokers HOST:PORT,...', '            [--state-dir DIR] [--worker-id ID]'],
  spec: SPEC,
  notes: `FILE is a module (.js, or .ts) exporting \`pipeline(app)\` (or a default export):
a function returning the application's Topology, e.g. examples/wordcount/pipeline.ts.
Its tasks are the partitions of its input topics; every worker of APP shares them.

Prints one line when joined, then one per change of its tasks. Stops on SIGTERM or SIGINT.`,
});

function positiveInt(value: number | undefined, flag: string, min = 1): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) throw new UsageError(`--${flag} needs an integer of at least ${min}`);
  return value;
}

export function runWorker(argv: string[], io: CommandIO, stop: AbortSignal): Promise<number> {
  return runCommand('worker', WORKER_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const app = flags.app;
    if (app === undefined || app.length === 0) throw new UsageError('--app APP is required');
    if (flags.pipeline === undefined) throw new UsageError('--pipeline FILE is required');
    const controllers = parseControllers(flags.controllers ?? '');
    if (E.isLeft(controllers)) throw new UsageError(`--controllers: ${controllers.left}`);
    const brokers = (flags.brokers ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0);
    if (brokers.length === 0) throw new UsageError('--brokers HOST:PORT,... is required');
    const bad = brokers.find((b) => !/^[^:\s]+:\d+$/.test(b));
    if (bad !== undefined) throw new UsageError(`--brokers: "${bad}" is not HOST:PORT`);
    const heartbeatIntervalMs = positiveInt(flags['heartbeat-interval-ms'], 'heartbeat-interval-ms');
    const sessionTimeoutMs = positiveInt(flags['session-timeout-ms'], 'session-timeout-ms');
    const maxPollIntervalMs = positiveInt(flags['max-poll-interval-ms'], 'max-poll-interval-ms');
    const numStandbyReplicas = positiveInt(flags['standby-replicas'], 'standby-replicas', 0);
    const commitIntervalMs = positiveInt(flags['commit-interval-ms'], 'commit-interval-ms');
    const processingGuarantee = flags['processing-guarantee'];
    if (processingGuarantee !== 'at-least-once' && processingGuarantee !== 'exactly-once')
      throw new UsageError(`--processing-guarantee: "${processingGuarantee}" is neither at-least-once nor exactly-once`);
    const replicationFactor = flags['replication-factor'];
    if (replicationFactor !== undefined && replicationFactor !== -1) positiveInt(replicationFactor, 'replication-factor');
    const joinTimeoutMs = positiveInt(flags['join-timeout-ms'], 'join-timeout-ms') ?? 15_000;
    const brokerUnavailableTimeoutMs = positiveInt(flags['broker-unavailable-timeout-ms'], 'broker-unavailable-timeout-ms');
    const workerId = flags['worker-id'] ?? `${os.hostname()}-${process.pid}`;
    const metricsAt = metricsPort(flags['metrics-port']);
    const queryPort = flags['query-port'];
    if (queryPort !== undefined && (!Number.isInteger(queryPort) || queryPort < 0 || queryPort > 65535))
      throw new UsageError('--query-port needs a port number, 0 to 65535');
    const consoleAt = consolePort(flags['console-port']);
    const statusIntervalMs = positiveInt(flags['status-interval-ms'], 'status-interval-ms', 0) ?? DEFAULT_STATUS_INTERVAL_MS;
    const applicationServer = flags['application-server'];
    if (applicationServer !== undefined && !/^[^:\s]+:\d+$|^\[[^\]\s]+\]:\d+$/.test(applicationServer))
      throw new UsageError(`--application-server: "${applicationServer}" is not HOST:PORT`);
    // TLS and SASL to the brokers, checked before anything starts.
    const security = flags['command-config'] !== undefined ? clientSecurity(readConfigFile(flags['command-config']), flags['command-config']) : {};
    // HTTPS and basic auth (checked by a SASL login at the brokers) on the query and metrics ports.
    const users = usersOfBrokers({ servers: brokers.join(','), ...security });
    const querySecurity = endpointSecurity(flags, 'query', 'query port', users, NO_BROKER_USERS('query'));
    const metricsSecurity = endpointSecurity(flags, 'metrics', 'metrics port', users, NO_BROKER_USERS('metrics'));
    const consoleSecurity = endpointSecurity(flags, 'console', 'console', users, NO_BROKER_USERS('console'));
    // Mutual TLS to the controllers, when the cluster's own links use it.
    const internalTls = internalTlsOf(flags);

    const logger = commandLogger(io, flags['log-level'], { workerId });
    const log = lineLog(logger);

    const restoring = new RestoreProgress(io);
    const loaded = await loadPipeline(flags.pipeline, app);
    if (E.isLeft(loaded)) throw new CommandError(loaded.left);
    const topology: Topology = loaded.right;

    // Commits name this worker's incarnation: the cluster refuses them once the controller has fenced it.
    let currentEpoch = () => 0;
    const member = () => (currentEpoch() > 0 ? { memberId: workerId, generationId: currentEpoch() } : undefined);
    // A leader or coordinator that moved or died is ridden out (a failover) until the deadline, then the request fails.
    const client = protocolLogClient({
      brokers,
      clientId: `rill-worker-${workerId}`,
      log: lineLog(logger.child({ component: 'client' }), 'warn'),
      member,
      brokerUnavailableTimeoutMs,
      ...security,
    });
    const streams = new RillStreams(topology, {
      log: client,
      logger,
      stateDir: flags['state-dir'],
      commitIntervalMs,
      replicationFactor,
      // Exactly-once: the transactional id is named after the worker id, so a worker restarted with the same --worker-id fences its previous incarnation.
      processingGuarantee,
      instanceId: workerId,
      taskAssignment: 'external',
      metricsPort: metricsAt,
      queryPort,
      queryHost: flags['query-host'],
      applicationServer,
      querySecurity: querySecurity?.security,
      queryForwardTls: querySecurity?.peerTls,
      metricsSecurity: metricsSecurity?.security,
      metrics: metricsAt === undefined ? undefined : metricsRegistry({ process: true }),
      onRestoreProgress: (p) => restoring.report(p),
    });
    // The consoles learn of a change of tasks at once, rather than at the next interval.
    let publishNow = () => Promise.resolve();
    // Assignments wait until the application has started (topics checked and created).
    let started: (ok: boolean) => void = () => undefined;
    const ready = new Promise<boolean>((resolve) => (started = resolve));
    const fail = async (what: string, e: unknown): Promise<never> => {
      await streams.stop().catch(() => undefined);
      await client.close().catch(() => undefined);
      throw new CommandError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    };

    // A task is an input partition. Every source is co-partitioned with the
    // first input topic, so its partitions name the tasks (partition p of every
    // source and repartition topic belongs to task p).
    const taskTopic = [...topology.inputTopics].sort()[0];
    const partitionsOf = (ts: readonly { task: string }[]) => ts.map((t) => taskPartition(t.task)).filter((p): p is number => p !== undefined);
    const applied = async (change: AssignmentChange) => {
      if (!(await ready)) return;
      const partitions = partitionsOf(change.assignment.active);
      // Fenced: the revoked tasks run elsewhere already; their offsets must not be committed from here.
      if (change.fenced) client.fencePartitions(partitionsOf(change.revoked));
      await streams.assignTasks(partitions);
      const list = (ps: readonly { task: string }[]) => ps.map((t) => taskPartition(t.task)).join(',');
      io.stdout.write(
        `worker ${workerId}: generation ${change.assignment.generation} tasks [${[...partitions].sort((a, b) => a - b).join(',')}]` +
          ` added [${list(change.added)}] revoked [${list(change.revoked)}]${change.fenced ? ' (fenced: revoked work not committed)' : ''}` +
          ` standby [${change.assignment.standby.map((t) => taskPartition(t)).join(',')}]\n`,
      );
      // Standbys keep warm copies of other workers' stores, so a task that moves here restores only the tail.
      const standby = change.assignment.standby.map((t) => taskPartition(t)).filter((p): p is number => p !== undefined && !partitions.includes(p));
      await streams.setStandbyTasks(standby);
      void publishNow();
    };
    // Heartbeats on their own thread: a long synchronous user function does not cost the tasks.
    const membership = startableMembership({
      controllers: controllers.right,
      internalTls,
      app,
      workerId,
      inputTopics: [taskTopic],
      numStandbyReplicas,
      heartbeatIntervalMs,
      sessionTimeoutMs,
      maxPollIntervalMs,
      onAssignment: applied,
      log: lineLog(logger.child({ component: 'membership' })),
    });
    currentEpoch = () => membership.workerEpoch;
    // Join first (an unreachable controller is reported at once); the tasks
    // assigned meanwhile are taken up once the application has started.
    const joined = await membership.start(joinTimeoutMs);
    if (E.isLeft(joined)) return fail('cannot join', joined.left);
    try {
      // The sources must exist; changelog, repartition and output topics are created.
      await streams.start();
    } catch (e) {
      started(false);
      await membership.leave();
      return fail(`application ${app} cannot start on brokers ${brokers.join(',')}`, e);
    }
    // What consoles show of this worker: its status in APP-worker-status, and its own console.
    const shown: WorkerView = { workerId, streams, epoch: () => membership.workerEpoch };
    let consoleUrl: string | undefined;
    const publisher = statusIntervalMs
      ? publishWorkerStatus(shown, {
          client,
          intervalMs: statusIntervalMs,
          replicationFactor: replicationFactor ?? -1,
          consoleUrl: () => consoleUrl,
          warn: lineLog(logger, 'warn'),
        })
      : undefined;
    const consoleServer =
      consoleAt === undefined
        ? undefined
        : await workerConsole(
            shown,
            {
              port: consoleAt,
              host: flags['console-host']!,
              brokers,
              security,
              httpSecurity: consoleSecurity?.security,
              controllers: controllers.right,
              consoleUrl: () => consoleUrl,
            },
            io,
          ).catch(async (e: Error) => {
            started(false);
            await publisher?.stop();
            await membership.leave();
            return fail(`rill worker ${workerId}`, e);
          });
    consoleUrl = consoleServer?.url;
    if (publisher) publishNow = () => publisher.publish();
    if (streams.metricsUrl) io.stdout.write(`rill worker ${workerId}: metrics on ${streams.metricsUrl}\n`);
    if (streams.queryUrl) io.stdout.write(`rill worker ${workerId}: interactive queries on ${streams.queryUrl}\n`);
    io.stdout.write(
      `rill worker ${workerId}: joined application ${app} (worker epoch ${joined.right.workerEpoch}), reading ${topology.inputTopics.join(', ')} from ${brokers.join(',')}\n`,
    );
    started(true);

    // Run until told to stop, or until the application fails.
    let failure: Error | undefined;
    await new Promise<void>((resolve) => {
      if (stop.aborted) return resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
      streams.done.then(
        () => resolve(),
        (e: Error) => {
          failure = e;
          resolve();
        },
      );
    });
    log(`worker ${workerId}: ${failure ? 'application failed, leaving' : 'shutting down: committing, then leaving'}`);
    await publisher?.stop();
    await consoleServer?.close();
    // Commit and close the tasks first, then leave: the next owners start from the committed work.
    await streams.stop().catch(() => undefined);
    log(`worker ${workerId}: tasks committed and closed; leaving`);
    await membership.leave();
    log(`worker ${workerId}: left`);
    await client.close().catch(() => undefined);
    log(`worker ${workerId}: stopped`);
    if (failure) throw new CommandError(`application ${app} failed: ${failure.message}`);
    return 0;
  });
}

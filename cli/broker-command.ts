// `rill broker`: the broker of `Rill.open`, served over TCP in the Kafka
// protocol, with the schema registry's REST API on its own port. SIGTERM or
// SIGINT shut it down gracefully: stop accepting, answer what is in flight,
// flush the logs, close.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../core/broker';
import { KafkaServer } from '../core/protocol';
import { openBrokerSchemaRegistry } from '../core/client';
import { startSchemaRegistryServer, SchemaRegistry, SchemaRegistryServer } from '../core/schema';
import { parseCommand, UsageError } from './args';
import { applyConfig, BrokerSettings, completeSettings, readConfigFile } from './broker-config';
import { isClusterNode, runClusterNode } from './cluster-command';
import { runCommand } from './command';
import { CommandIO } from './io';
import { CommandError } from './wire';

export const BROKER_HELP = `rill broker — run a Kafka-compatible broker on a data directory

Usage:
  rill broker --data-dir DIR [--port 9092] [options]

Options:
  --data-dir DIR              where topics, offsets and schemas live (created if missing)
  --port N                    Kafka protocol port (default 9092; 0 picks a free one)
  --host ADDR                 listen address (default 0.0.0.0)
  --advertised-host HOST      host clients are told to connect to (default: the address they used)
  --node-id N                 this broker's node id (default 0)
  --schema-registry-port N    schema registry REST port (default 8081; 0 picks a free one)
  --no-schema-registry        do not serve the schema registry
  --no-auto-create-topics     Metadata requests do not create missing topics
  --config FILE               settings file: key=value lines (data.dir, port, host,
                              advertised.host, node.id, auto.create.topics.enable,
                              socket.request.max.bytes, connections.max.idle.ms,
                              max.connections, max.connections.per.ip,
                              queued.max.request.bytes, fetch.max.bytes,
                              max.broker.partitions, max.partitions.per.request,
                              log.max.open.files: see docs/operations.md,
                              schema.registry.port, schema.registry.host) or JSON;
                              flags override it

With --controllers it runs a node of a Rill cluster instead (see
"rill broker --controllers x --help").

Stops gracefully on SIGTERM or SIGINT. Exit codes: 0 ok, 1 failure, 2 bad usage.`;

const SPEC = {
  'data-dir': 'string',
  port: 'number',
  host: 'string',
  'advertised-host': 'string',
  'node-id': 'number',
  'schema-registry-port': 'number',
  'no-schema-registry': 'boolean',
  'no-auto-create-topics': 'boolean',
  config: 'string',
} as const;

/** Runs until `stop` aborts (the process wires SIGTERM/SIGINT to it). */
export function runBroker(argv: string[], io: CommandIO, stop: AbortSignal): Promise<number> {
  if (isClusterNode(argv)) return runClusterNode(argv, io, stop);
  return runCommand('broker', BROKER_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    const partial: Partial<BrokerSettings> = {};
    if (flags.config) applyConfig(partial, readConfigFile(flags.config), flags.config);
    const fromFlags: Record<string, string> = {};
    if (flags['data-dir'] !== undefined) fromFlags['data.dir'] = flags['data-dir'];
    if (flags.port !== undefined) fromFlags.port = String(flags.port);
    if (flags.host !== undefined) fromFlags.host = flags.host;
    if (flags['advertised-host'] !== undefined) fromFlags['advertised.host'] = flags['advertised-host'];
    if (flags['node-id'] !== undefined) fromFlags['node.id'] = String(flags['node-id']);
    if (flags['schema-registry-port'] !== undefined) fromFlags['schema.registry.port'] = String(flags['schema-registry-port']);
    if (flags['no-auto-create-topics']) fromFlags['auto.create.topics.enable'] = 'false';
    applyConfig(partial, fromFlags, 'flags');
    if (flags['no-schema-registry']) partial.schemaRegistryPort = -1;
    return serve(completeSettings(partial), io, stop);
  });
}

async function serve(s: BrokerSettings, io: CommandIO, stop: AbortSignal): Promise<number> {
  const log = (m: string) => io.stderr.write(`${new Date().toISOString()} ${m}\n`);
  try {
    fs.mkdirSync(path.join(s.dataDir, 'log'), { recursive: true });
  } catch (e) {
    throw new CommandError(`cannot use data directory ${s.dataDir}: ${(e as Error).message}`);
  }
  // The same layout as Rill.open({ dir }): the broker in <dir>/log, the registry
  // in its compacted _schemas topic (so Kafka tools and Rill.open see the same schemas).
  const limits = { fetchMaxBytes: s.fetchMaxBytes, maxBrokerPartitions: s.maxBrokerPartitions, maxPartitionsPerRequest: s.maxPartitionsPerRequest, maxOpenFiles: s.maxOpenFiles };
  const broker = Broker.open({ dir: path.join(s.dataDir, 'log'), nodeId: s.nodeId, limits, onWarning: (w) => log(`warning: ${w}`) });
  let server: KafkaServer | undefined;
  let registry: SchemaRegistry | undefined;
  let registryServer: SchemaRegistryServer | undefined;
  try {
    server = await KafkaServer.start({ broker, port: s.port, host: s.host, advertisedHost: s.advertisedHost, maxFrameBytes: s.maxFrameBytes, maxConnections: s.maxConnections, maxConnectionsPerIp: s.maxConnectionsPerIp, queuedMaxRequestBytes: s.queuedMaxRequestBytes, idleTimeoutMs: s.idleTimeoutMs, autoCreateTopics: s.autoCreateTopics, log });
    if (s.schemaRegistryPort >= 0) {
      registry = openBrokerSchemaRegistry(broker);
      registryServer = await startSchemaRegistryServer({ registry, port: s.schemaRegistryPort, host: s.schemaRegistryHost });
    }
  } catch (e) {
    await server?.close(0);
    registry?.close();
    await broker.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new CommandError(`port already in use (${err.message}); pick another with --port / --schema-registry-port`);
    throw new CommandError(err.message);
  }
  io.stdout.write(`rill broker: listening on ${s.host}:${server.port} (node ${broker.nodeId}, cluster ${broker.clusterId}, data ${s.dataDir})\n`);
  if (registryServer) io.stdout.write(`rill broker: schema registry on http://${s.schemaRegistryHost}:${registryServer.port}\n`);

  if (!stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  log('shutting down: no new connections, finishing requests in flight');
  await server.close(10000);
  await registryServer?.close();
  registry?.close();
  await broker.close();
  log('stopped: logs flushed and closed');
  return 0;
}

// `rill schema-registry`: Rill's schema registry (the Confluent REST API) with
// its `_schemas` topic on an existing Kafka cluster, Apache Kafka included,
// through the kafkajs LogClient. `rill broker` serves a registry on its own
// log; this is the registry for a cluster that is not Rill's.
import { kafkaLogClient, openLogClientSchemaRegistry } from '../core/client';
import { startSchemaRegistryServer } from '../core/schema';
import { BOOTSTRAP_FLAG, commandHelp, noMoreArguments, numberFlag, parseCommand, UsageError } from './args';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { bootstrapList, bootstrapOf, CommandError } from './wire';

const SPEC = {
  bootstrap: BOOTSTRAP_FLAG,
  port: numberFlag('the REST port (0 picks a free one)', 8081),
  host: { kind: 'string', arg: 'ADDR', help: 'the REST listen address', defaultText: '127.0.0.1' },
  'replication-factor': numberFlag("copies of the _schemas topic when it is created; -1: the cluster's default", -1),
} as const;

export const SCHEMA_REGISTRY_HELP = commandHelp({
  title: 'rill schema-registry — the schema registry on an existing Kafka cluster',
  usage: ['rill schema-registry --bootstrap HOST:PORT,... [--port 8081] [--host ADDR] [--replication-factor N]'],
  spec: SPEC,
  notes: `Keeps its schemas in the compacted _schemas topic of the cluster (created with one
partition if missing, read whole at start) and serves the Confluent Schema Registry
REST API. A change is answered once the cluster has it. Run one per cluster: there is
no election between registries. Needs the kafkajs package. Stops on SIGINT/SIGTERM.`,
});

export function runSchemaRegistry(argv: string[], io: CommandIO, stop?: AbortSignal): Promise<number> {
  return runCommand('schema-registry', SCHEMA_REGISTRY_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const port = flags.port ?? 8081;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be from 0 to 65535');
    const replicationFactor = flags['replication-factor'] ?? -1;
    if (!Number.isInteger(replicationFactor) || replicationFactor === 0 || replicationFactor < -1)
      throw new UsageError('--replication-factor must be a positive integer, or -1');
    const host = flags.host ?? '127.0.0.1';
    const brokers = bootstrapList(bootstrapOf(flags, io).servers);
    const client = kafkaLogClient({ brokers, clientId: 'rill-schema-registry' });
    try {
      let registry: Awaited<ReturnType<typeof openLogClientSchemaRegistry>>;
      try {
        registry = await openLogClientSchemaRegistry(client, { replicationFactor });
      } catch (e) {
        throw new CommandError(`cannot open the registry's _schemas topic on ${brokers.join(',')}: ${(e as Error).message}`);
      }
      try {
        const server = await startSchemaRegistryServer({ registry, port, host }).catch((e: NodeJS.ErrnoException) => {
          throw new CommandError(e.code === 'EADDRINUSE' ? `port ${port} is already in use; pick another with --port` : e.message);
        });
        io.stdout.write(
          `rill schema-registry: serving ${server.url}, schemas in _schemas on ${brokers.join(',')} (${registry.subjects().length} subject(s))\n`,
        );
        if (stop && !stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
        await server.close();
      } finally {
        await registry.close();
      }
      io.stdout.write('rill schema-registry: stopped\n');
    } finally {
      await client.close();
    }
  });
}

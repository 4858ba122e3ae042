// `rill schema-registry`: Rill's schema registry (the Confluent REST API) with
// its `_schemas` topic on an existing Kafka cluster, Apache Kafka included,
// through the kafkajs LogClient. `rill broker` serves a registry on its own
// log; this is the registry for a cluster that is not Rill's.
//
// --command-config gives its client to the brokers TLS and SASL (Kafka's
// client properties, as every tool's); --schema-registry-ssl-* and
// --schema-registry-basic-auth protect its REST port (passwords checked by a
// SASL login at the brokers), and --authorizer checks subjects against the
// brokers' ACLs (schema-registry-acls.ts).
import { kafkaLogClient, openLogClientSchemaRegistry } from '../core/client';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { startSchemaRegistryServer } from '../core/schema';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, noMoreArguments, numberFlag, parseCommand, UsageError } from './args';
import { AUTHORIZER_FLAGS, authorizerConfig, authorizerFlagsAsConfig } from './authorizer-config';
import { BROKER_USERS, NO_BROKER_USERS, usersOfBrokers } from './broker-users';
import { runCommand } from './command';
import { endpointSecurity, httpSecurityFlags } from './http-security';
import type { CommandIO } from './io';
import { brokerAcls, registryAuthorizer } from './schema-registry-acls';
import { type Bootstrap, bootstrapList, bootstrapOf, CommandError, connect } from './wire';

const SPEC = {
  bootstrap: BOOTSTRAP_FLAG,
  port: numberFlag('the REST port (0 picks a free one)', 8081),
  host: { kind: 'string', arg: 'ADDR', help: 'the REST listen address', defaultText: '127.0.0.1' },
  'replication-factor': numberFlag("copies of the _schemas topic when it is created; -1: the cluster's default", -1),
  'command-config': COMMAND_CONFIG_FLAG,
  ...httpSecurityFlags('schema-registry', 'the REST port', BROKER_USERS),
  authorizer: {
    kind: 'boolean',
    help: "check subjects against the brokers' ACLs (a subject <topic>-key/-value needs the topic's, others the cluster's; read with DescribeAcls, so this registry's own principal needs DESCRIBE on the cluster)",
  },
  'super-users': AUTHORIZER_FLAGS['super-users'],
} as const;

export const SCHEMA_REGISTRY_HELP = commandHelp({
  title: 'rill schema-registry — the schema registry on an existing Kafka cluster',
  usage: [
    'rill schema-registry --bootstrap HOST:PORT,... [--command-config FILE] [--port 8081] [--host ADDR] [--replication-factor N]',
    '    [--schema-registry-ssl-cert FILE --schema-registry-ssl-key FILE] [--schema-registry-basic-auth] [--authorizer [--super-users LIST]]',
  ],
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
    const bootstrap = bootstrapOf(flags, io);
    const brokers = bootstrapList(bootstrap.servers);
    const security = endpointSecurity(flags, 'schema-registry', 'schema registry', usersOfBrokers(bootstrap), NO_BROKER_USERS('schema-registry'))?.security;
    const acl = authorizerConfig(authorizerFlagsAsConfigSettings(flags));
    const client = kafkaLogClient({ brokers, clientId: 'rill-schema-registry', kafka: kafkajsSecurity(bootstrap) });
    let acls: Awaited<ReturnType<typeof brokerAcls>> | undefined;
    try {
      if (acl)
        acls = await brokerAcls(
          () => connect(bootstrap),
          acl,
          (m) => io.stderr.write(`rill schema-registry: warning: ${m}\n`),
        ).catch((e: Error) => {
          throw new CommandError(`--authorizer: cannot read the brokers' ACLs: ${e.message}`);
        });
      let registry: Awaited<ReturnType<typeof openLogClientSchemaRegistry>>;
      try {
        registry = await openLogClientSchemaRegistry(client, { replicationFactor });
      } catch (e) {
        throw new CommandError(`cannot open the registry's _schemas topic on ${brokers.join(',')}: ${(e as Error).message}`);
      }
      try {
        const authorize = acls && registryAuthorizer(acls.current);
        const server = await startSchemaRegistryServer({ registry, port, host, ...security, authorize }).catch((e: NodeJS.ErrnoException) => {
          throw new CommandError(e.code === 'EADDRINUSE' ? `port ${port} is already in use; pick another with --port` : e.message);
        });
        const guards = [security?.authenticate && 'basic auth', acls && 'ACLs'].filter((g) => g).join(', ');
        io.stdout.write(
          `rill schema-registry: serving ${server.url}${guards ? ` (${guards})` : ''}, schemas in _schemas on ${brokers.join(',')} (${registry.subjects().length} subject(s))\n`,
        );
        if (stop && !stop.aborted) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
        await server.close();
      } finally {
        await registry.close();
      }
      io.stdout.write('rill schema-registry: stopped\n');
    } finally {
      acls?.stop();
      await client.close();
    }
  });
}

/** --authorizer and --super-users as the authorizer settings. */
function authorizerFlagsAsConfigSettings(flags: { authorizer?: boolean; 'super-users'?: string }) {
  const config = authorizerFlagsAsConfig(flags);
  return { authorizer: config['authorizer.class.name'], superUsers: config['super.users'] };
}

/** The --command-config's TLS and SASL as kafkajs settings (kafkajs names its mechanisms in lower case). */
function kafkajsSecurity(bootstrap: Bootstrap): Partial<KafkaConfig> {
  const { tls, sasl } = bootstrap;
  return {
    ...(tls ? { ssl: tls } : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism.toLowerCase(), username: sasl.username, password: sasl.password } as SASLOptions } : {}),
  };
}

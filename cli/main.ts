// The `rill` command. Subcommands grow with the product; each one explains itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMembershipThread } from '../core/cluster';
import { runDemo } from './demo';
import { runBroker } from './broker-command';
import { applyBrokerHeapSetting, brokerHeapSetting } from './broker-heap';
import { runLog } from './log-command';
import { runCluster } from './cluster-status-command';
import { runConsole } from './console-command';
import { runConsume } from './consume-command';
import { runGroup } from './group-command';
import { processIO } from './io';
import { runProduce } from './produce-command';
import { runSchemaRegistry } from './schema-registry-command';
import { runTopic } from './topic-command';
import { runTopology } from './topology-command';
import { runUser } from './user-command';
import { runAcl } from './acl-command';
import { runWorker } from './worker-command';

const HELP = `rill — stream processing for TypeScript with its own log

Usage:
  rill demo [--dir DIR] [--records N]   write and read back a partitioned log (the embedded log in action)
  rill broker --data-dir DIR [--port N] run a Kafka-compatible broker (and the schema registry)
  rill broker [--controller] --node-id N --controllers 1@H:P,... --data-dir DIR [--port N]
                                        a controller or broker of a Rill cluster
  rill cluster status --controllers 1@H:P,... [--json]
                                        controllers (replication lag), brokers, partitions (ISR, lag), workers and tasks
  rill cluster add-controller|remove-controller --id N [--address H:P] --controllers 1@H:P,...
                                        change the controller quorum, one controller at a time
  rill worker --app APP --pipeline FILE --controllers 1@H:P,... --brokers H:P,...
                                        run a DSL application's tasks as the cluster assigns them
  rill cluster partitions --controllers 1@H:P,... [--under-replicated]
                                        partitions with their leader and ISR
  rill schema-registry --bootstrap H:P,... [--port 8081]
                                        the schema registry with its _schemas topic on an existing Kafka cluster
  rill topology --pipeline FILE [--format text|mermaid|dot|svg]
                                        draw a pipeline's topology (sub-topologies, topics, stores)
  rill topic create|list|describe|delete|alter-config|add-partitions|trim-prefix ...
  rill produce --topic NAME             stdin lines to a topic
  rill consume --topic NAME             a topic's records to stdout
  rill group list|describe|reset-offsets|seek|delete ...
  rill console --bootstrap HOST:PORT [--port 9021] [--schema-registry URL]
                                        a read-only web console: cluster, topics and messages, groups and lag, schemas
  rill log recover --data-dir DIR --topic T --partition P   repair a damaged partition (broker stopped)
  rill user create|delete|list --data-dir DIR ...           SCRAM users of a single-node broker
  rill acl create|list|delete ...       the broker's ACLs (a broker started with --authorizer)
  rill version                          the version (also rill --version)
  rill help                             this text

Every command takes --help (rill topic create --help: one action, its flags and defaults).
Tools talk to --bootstrap HOST:PORT,... (also --bootstrap-server; default $RILL_BOOTSTRAP
or localhost:9092); listing and describe commands take --format text|json.

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

/**
 * What ends a command early: SIGINT/SIGTERM, or the reader of stdout gone
 * (EPIPE, as in `rill consume ... | head -1`): the command stops quietly
 * (a consumer commits and leaves its group) and exits 0. A second signal
 * exits at once (the handlers are installed once).
 */
function stopSignal(): AbortSignal {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  quietPipe(() => stop.abort());
  return stop.signal;
}

/** A closed stdout (EPIPE) ends the output quietly, without a stack trace. */
function quietPipe(onClosed: () => void = () => undefined): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stdout.destroy();
    onClosed();
  });
}

/** The package's version, from the package.json one folder up (of cli/ in the sources, of dist/ when installed). */
function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    case 'version':
    case '--version':
    case '-V':
      console.log(`rill ${version()}`);
      return 0;
    case 'demo':
      return runDemo(rest, processIO());
    case 'broker':
      // A fixed heap growing factor for this broker process (see broker-heap.ts); RILL_BROKER_HEAP_GROWING_PERCENT overrides it.
      try {
        applyBrokerHeapSetting(brokerHeapSetting(process.env, process.execArgv));
      } catch (e) {
        console.error(`rill broker: ${(e as Error).message}`);
        return 2;
      }
      return runBroker(rest, processIO(), stopSignal());
    case 'topic':
      quietPipe();
      return runTopic(rest, processIO());
    case 'produce':
      // Stopped: what is buffered is sent and counted.
      return runProduce(rest, processIO(), stopSignal());
    case 'consume':
      // Stopped: offsets committed, group left.
      return runConsume(rest, processIO(), stopSignal());
    case 'group':
      quietPipe();
      return runGroup(rest, processIO());
    case 'topology':
      quietPipe();
      return runTopology(rest, processIO());
    case 'log':
      return runLog(rest, processIO());
    case 'user':
      quietPipe();
      return runUser(rest, processIO());
    case 'acl':
      quietPipe();
      return runAcl(rest, processIO());
    case 'cluster':
      quietPipe();
      return runCluster(rest, processIO());
    case 'console':
      return runConsole(rest, processIO(), stopSignal());
    case 'schema-registry':
      // Stopped: its writes finished, the server and the client closed.
      return runSchemaRegistry(rest, processIO(), stopSignal());
    case 'worker':
      // Stopped: commit, leave the application (its tasks move at once), exit 0.
      return runWorker(rest, processIO(), stopSignal());
    default:
      console.error(`rill: unknown command "${command}". Run "rill help" for the list.`);
      return 2;
  }
}

// The bundled CLI is also the entry point of a worker's membership thread (it loads this file again).
if (!isMembershipThread()) runMain();

function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`rill: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

// Runs a subcommand with the CLI's exit-code contract: 0 ok, 1 failure (a
// sentence on stderr), 2 bad usage (with a pointer to the help).
import { BrokerError } from '../core/client';
import { KafkaClientError } from '../core/protocol';
import { UsageError } from './args';
import { CommandIO } from './io';
import { CommandError } from './wire';

/** `help` is the command's text, or a function of its action (the first argument), for help per action. */
export async function runCommand(
  name: string,
  help: string | ((action: string | undefined) => string),
  argv: string[],
  io: CommandIO,
  body: () => Promise<number | void>,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write((typeof help === 'string' ? help : help(argv[0]?.startsWith('-') ? undefined : argv[0])) + '\n');
    return 0;
  }
  try {
    return (await body()) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`rill ${name}: ${e.message}\nRun "rill ${name} --help" for usage.\n`);
      return 2;
    }
    // BrokerError: a Kafka error answer the shared client code (core/client) reported.
    if (e instanceof CommandError || e instanceof KafkaClientError || e instanceof BrokerError) {
      io.stderr.write(`rill ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// The `rill` command. Subcommands grow with the product; each one explains itself.
import { runDemo } from './demo';

const HELP = `rill — stream processing for TypeScript with its own log

Usage:
  rill demo [--dir DIR] [--records N]   write and read back a partitioned log (the embedded log in action)
  rill help                             this text

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    case 'demo':
      return runDemo(rest);
    default:
      console.error(`rill: unknown command "${command}". Run "rill help" for the list.`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`rill: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

// `rill log recover`: repairs one damaged partition in a stopped broker's data
// directory (the partition a running broker answers with KAFKA_STORAGE_ERROR).
// Damaged bytes and later segments are moved aside into .corrupt files, never
// deleted. The same repair for every damaged partition at once: start the
// broker with --recover-corruption (log.recover.corruption=true).
import * as path from 'node:path';
import { Broker } from '../core/broker';
import { parseCommand, UsageError } from './args';
import { runCommand } from './command';
import { CommandIO } from './io';
import { CommandError } from './wire';

export const LOG_HELP = `rill log — repair a partition's log on disk

Usage:
  rill log recover --data-dir DIR --topic T --partition P

Run it while the broker is stopped. Every segment of the partition is checked;
damaged bytes and the segments after them go to .corrupt files next to the log
(named for the offsets they held), and the partition serves again from what is
intact. Prints one line per repair.

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

const SPEC = { 'data-dir': 'string', topic: 'string', partition: 'number' } as const;

export function runLog(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('log', LOG_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    if (positional[0] !== 'recover' || positional.length > 1) throw new UsageError('give the action: recover');
    if (!flags['data-dir'] || flags.topic === undefined || flags.partition === undefined) throw new UsageError('give --data-dir, --topic and --partition');
    // The same layout as rill broker: the broker's logs in <data-dir>/log.
    const r = Broker.recoverPartition(path.join(flags['data-dir'], 'log'), flags.topic, flags.partition);
    if (r._tag === 'Left') throw new CommandError(r.left.message);
    for (const line of r.right) io.stdout.write(`${line}\n`);
    io.stdout.write(`rill log: ${flags.topic}-${flags.partition} ${r.right.length === 0 ? 'was intact' : 'repaired'}\n`);
  });
}

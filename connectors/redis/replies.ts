// Runs a batch of commands in one round trip (MULTI/EXEC or a pipeline) and
// maps the replies back to the records they came from. A reply error Redis
// gives for one command (WRONGTYPE, ERR ...) rejects that command's records;
// anything else (connection closed, LOADING, OOM, READONLY, EXEC aborted)
// means Redis is unavailable and the whole batch is retried.
import type { ChainableCommander, Redis } from 'ioredis';
import { unavailable, written, type Rejection, type SinkWriteOutcome } from '../connector';

/** Errors that say "this command is wrong", as opposed to "Redis cannot take it now". */
const REJECTING = /^(WRONGTYPE|ERR|NOPERM)\b/;

/** One command and the records (indexes in the batch) whose write it is. */
export interface OwnedCommand {
  readonly owners: readonly number[];
  readonly add: (chain: ChainableCommander) => void;
}

export async function execForRecords(
  redis: Redis,
  transactional: boolean,
  commands: readonly OwnedCommand[],
  rejected: Rejection[] = [],
): Promise<SinkWriteOutcome> {
  if (commands.length === 0) return written(rejected);
  const chain = transactional ? redis.multi() : redis.pipeline();
  for (const c of commands) c.add(chain);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await chain.exec();
  } catch (e) {
    return unavailable(`redis: ${(e as Error).message}`);
  }
  if (!replies) return unavailable('redis: transaction aborted');
  const failed = new Map<number, string>();
  for (let i = 0; i < replies.length; i++) {
    const error = replies[i][0];
    if (!error) continue;
    if (!isRejection(error)) return unavailable(`redis: ${error.message}`);
    for (const owner of commands[i].owners) if (!failed.has(owner)) failed.set(owner, `redis refused: ${error.message}`);
  }
  return written(failed.size === 0 ? rejected : [...rejected, ...[...failed].map(([index, reason]) => ({ index, reason }))]);
}

function isRejection(error: Error): boolean {
  return error.name === 'ReplyError' && REJECTING.test(error.message);
}

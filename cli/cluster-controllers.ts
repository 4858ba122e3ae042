// `rill cluster add-controller --id N --address HOST:PORT` and
// `rill cluster remove-controller --id N`: change the controller quorum, one
// controller at a time, through the active controller (core/cluster's
// controller-membership.ts). A new controller must already be running with
// `rill broker --controller --join`; it joins as a learner and the command
// returns once it has caught up and votes.
import * as E from 'fp-ts/Either';
import { errorName, type LinkSockets, parseControllers, requestAddController, requestRemoveController, type ControllerAddress } from '../core/cluster';
import { UsageError } from './args';
import type { CommandIO } from './io';
import { CommandError } from './wire';

export type QuorumAction = 'add-controller' | 'remove-controller';

export interface QuorumChangeFlags {
  readonly id?: number;
  readonly address?: string;
}

export async function runQuorumChange(
  action: QuorumAction,
  flags: QuorumChangeFlags,
  controllers: readonly ControllerAddress[],
  timeoutMs: number,
  io: CommandIO,
  sockets: LinkSockets | undefined,
): Promise<number> {
  const id = flags.id;
  if (id === undefined || !Number.isInteger(id) || id < 1) throw new UsageError(`${action} needs --id N (a controller id of 1 or more)`);
  let answer;
  if (action === 'add-controller') {
    if (flags.address === undefined) throw new UsageError("add-controller needs --address HOST:PORT (the new controller's listed address; Raft on PORT+1)");
    const parsed = parseControllers(`${id}@${flags.address}`);
    if (E.isLeft(parsed)) throw new UsageError(`--address: ${parsed.left}`);
    answer = await requestAddController(controllers, { id, host: parsed.right[0].host, port: parsed.right[0].port }, timeoutMs, sockets);
  } else {
    if (flags.address !== undefined) throw new UsageError('remove-controller takes --id only');
    answer = await requestRemoveController(controllers, id, timeoutMs, sockets);
  }
  if (answer.errorCode !== 0 || answer.response === undefined) {
    throw new CommandError(`${action} ${id} failed (${errorName(answer.errorCode)}): ${answer.message ?? 'no reason given'}`);
  }
  const { voters, learners } = answer.response;
  const done = action === 'add-controller' ? `Controller ${id} is a voter.` : `Controller ${id} is no longer a member.`;
  io.stdout.write(`${done} Voters: ${voters.join(',')}${learners.length > 0 ? `; learners: ${learners.join(',')}` : ''}.\n`);
  return 0;
}

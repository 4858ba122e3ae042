// `rill cluster status --controllers 1@H:P,...`: what a Rill cluster looks like
// now — controllers (who leads, term, commit index, each one's replication lag
// as the leader sees it), brokers (alive or fenced,
// broker epoch), partitions (leader, leader epoch, ISR, each replica's lag
// behind the leader), and the workers of each application with their tasks.
// Asks the controllers over core/cluster's RPC, and each live broker for its
// replicas' offsets; every call is bounded by --timeout-ms.
import * as E from 'fp-ts/Either';
import { clusterStatus, parseControllers, type ClusterStatus } from '../core/cluster';
import { commandHelp, FORMAT_FLAG, noMoreArguments, outputFormat, parseCommand, takeAction, UsageError } from './args';
import { runQuorumChange, type QuorumAction } from './cluster-controllers';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { CommandError } from './wire';
import { INTERNAL_TLS_FLAGS, internalSocketsOf } from './internal-tls-flags';

const SPEC = {
  controllers: { kind: 'string', arg: 'LIST', help: 'the controller quorum, ID@HOST:PORT comma-separated', defaultText: '$RILL_CONTROLLERS' },
  format: { ...FORMAT_FLAG, actions: ['status', 'partitions'] },
  json: { kind: 'boolean', help: 'the same as --format json', actions: ['status', 'partitions'] },
  'under-replicated': { kind: 'boolean', help: 'only partitions whose ISR lacks a replica (or that have no leader)', actions: ['partitions'] },
  id: { kind: 'number', help: "the controller's id", actions: ['add-controller', 'remove-controller'] },
  address: { kind: 'string', arg: 'HOST:PORT', help: 'where it serves (Raft on PORT+1)', actions: ['add-controller'] },
  'timeout-ms': {
    kind: 'number',
    help: 'status, partitions: how long to wait for each node (default 3000); add-/remove-controller: for the whole change (default 30000)',
  },
  ...INTERNAL_TLS_FLAGS,
} as const;

const USAGE: Record<string, string> = {
  status: 'rill cluster status --controllers 1@HOST:PORT,2@HOST:PORT,3@HOST:PORT [--format text|json] [--timeout-ms N]',
  partitions: 'rill cluster partitions --controllers LIST [--under-replicated] [--format text|json]',
  'add-controller': 'rill cluster add-controller --id N --address HOST:PORT --controllers LIST [--timeout-ms N]',
  'remove-controller': 'rill cluster remove-controller --id N --controllers LIST [--timeout-ms N]',
};

const ABOUT = `status shows the controllers (which is the active one, Raft term, commit and applied
index, and how far each has replicated the metadata log as the active
controller sees it: match index, lag, time since its last ack and since it was
last caught up), the brokers (address, broker epoch, alive or fenced), every partition
(leader, leader epoch, ISR, each replica's log end offset and lag behind the
leader where its broker answered) and the workers of each application with the
tasks they own. partitions shows the partitions only.

add-controller adds controller N, already running with
"rill broker --controller --join --node-id N --controllers ...,N@HOST:PORT",
to the quorum: it joins as a learner, catches up, and is made a voter; the
command returns once it votes. remove-controller takes controller N out of the
quorum (the active one hands leadership over first). One change at a time,
through the active controller; the quorum keeps them across restarts.

Exit code 1 also when no controller answered, none is active, or the change failed.`;

export function clusterHelp(action?: string): string {
  const known = action !== undefined && USAGE[action] !== undefined;
  return commandHelp({
    title: known ? `rill cluster ${action}` : 'rill cluster — inspect a Rill cluster',
    usage: known ? [USAGE[action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: ABOUT,
  });
}

const ACTIONS = Object.keys(USAGE);

export function runCluster(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('cluster', clusterHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest: extra } = takeAction(positional, ACTIONS);
    noMoreArguments(extra);
    const list = flags.controllers ?? io.env.RILL_CONTROLLERS;
    if (list === undefined) throw new UsageError('--controllers 1@HOST:PORT,... is required (or set $RILL_CONTROLLERS)');
    const controllers = parseControllers(list);
    if (E.isLeft(controllers)) throw new UsageError(`--controllers: ${controllers.left}`);
    const timeoutMs = flags['timeout-ms'] ?? (action === 'status' || action === 'partitions' ? 3000 : 30_000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout-ms must be a positive integer');
    // A cluster with internal TLS answers only a caller with a node certificate.
    const sockets = internalSocketsOf(flags, (m) => io.stderr.write(`${m}\n`));
    if (action !== 'status' && action !== 'partitions') return runQuorumChange(action as QuorumAction, flags, controllers.right, timeoutMs, io, sockets);
    if (flags.id !== undefined || flags.address !== undefined) throw new UsageError(`${action} takes no --id or --address`);
    if (flags['under-replicated'] && action !== 'partitions') throw new UsageError('--under-replicated is for "cluster partitions"');
    const json = flags.json === true || outputFormat(flags.format) === 'json';

    const status = await clusterStatus(controllers.right, timeoutMs, sockets);
    if (E.isLeft(status)) throw new CommandError(status.left);
    if (action === 'partitions') {
      const partitions = status.right.partitions.filter((p) => !flags['under-replicated'] || underReplicated(p));
      io.stdout.write(json ? JSON.stringify(partitions, null, 2) + '\n' : partitions.length === 0 ? '  (none)\n' : partitionsTable(partitions));
    } else io.stdout.write(json ? JSON.stringify(status.right, null, 2) + '\n' : render(status.right));
    if (status.right.leader === 0) {
      io.stderr.write(
        `rill cluster: no active controller: the quorum has no leader in term ${status.right.term} (a majority of the controllers must be up and reach each other)\n`,
      );
      return 1;
    }
    return 0;
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const msAgo = (ms: number | null) => (ms === null ? 'never' : `${ms} ms ago`);

/** The controllers, each with its replication as the active controller sees it (members it replicates to but the list lacks, too). */
function controllersTable(s: ClusterStatus): string {
  const progress = new Map((s.controllers.find((c) => c.id === s.leader)?.quorum?.replication ?? []).map((p) => [p.id, p]));
  const replicated = (id: number) => {
    const p = progress.get(id);
    if (p === undefined) return ['-', '-', '-', '-'];
    if (id === s.leader) return [String(p.match), '0', '-', '-'];
    return [String(p.match), String(p.lag), msAgo(p.lastAckMsAgo), msAgo(p.lastCaughtUpMsAgo)];
  };
  const kind = (id: number) => (progress.get(id)?.learner ? ' (learner)' : '');
  const rows = s.controllers.map((c) =>
    c.quorum
      ? [
          String(c.id),
          c.address,
          (c.quorum.active ? 'leader (active)' : c.quorum.role) + kind(c.id),
          String(c.quorum.term),
          String(c.quorum.commitIndex),
          String(c.quorum.appliedIndex),
          ...replicated(c.id),
        ]
      : [String(c.id), c.address, 'unreachable' + kind(c.id), '-', '-', '-', ...replicated(c.id)],
  );
  const listed = new Set(s.controllers.map((c) => c.id));
  for (const id of [...progress.keys()].filter((x) => !listed.has(x)))
    rows.push([String(id), '(not listed)', progress.get(id)!.learner ? 'learner' : 'voter', '-', '-', '-', ...replicated(id)]);
  return table(['ID', 'ADDRESS', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'MATCH', 'LAG', 'LAST ACK', 'CAUGHT UP'], rows);
}

type PartitionRow = ClusterStatus['partitions'][number];

/** A partition whose ISR lacks one of its replicas, or that has no leader. */
export function underReplicated(p: PartitionRow): boolean {
  return p.leader <= 0 || p.isr.length < p.replicas.length;
}

function partitionsTable(partitions: readonly PartitionRow[]): string {
  return table(
    ['TOPIC', 'PARTITION', 'LEADER', 'EPOCH', 'ISR', 'REPLICAS (broker:log end offset/lag)'],
    partitions.map((p) => [
      p.topic,
      String(p.partition),
      p.leader > 0 ? String(p.leader) : 'none',
      String(p.leaderEpoch),
      `[${p.isr.join(',')}]`,
      p.replicas.map((r) => `${r.broker}${r.inIsr ? '' : '(out of ISR)'}:${r.logEndOffset ?? '?'}/${r.lag ?? '?'}`).join(' '),
    ]),
  );
}

export function render(s: ClusterStatus): string {
  let out = '';
  out += `Controllers (active: ${s.leader > 0 ? s.leader : 'none'}, term ${s.term}, metadata index ${s.metadataIndex})\n`;
  out += controllersTable(s);
  out += `\nBrokers\n`;
  out +=
    s.brokers.length === 0
      ? '  (none registered)\n'
      : table(
          ['ID', 'ADDRESS', 'RACK', 'EPOCH', 'STATE'],
          s.brokers.map((b) => [
            String(b.id),
            b.address,
            b.rack ?? '-',
            String(b.brokerEpoch),
            b.fenced ? 'fenced' : b.reachable === false ? 'alive (not answering)' : 'alive',
          ]),
        );
  out += `\nPartitions\n`;
  out += s.partitions.length === 0 ? '  (no topics)\n' : partitionsTable(s.partitions);
  out += `\nWorkers\n`;
  const workers = s.apps.flatMap((a) =>
    a.workers.map((w) => [a.app, String(a.generation), w.workerId, String(w.workerEpoch), w.tasks.join(',') || '-', w.standbys.join(',') || '-']),
  );
  out += workers.length === 0 ? '  (no workers)\n' : table(['APP', 'GENERATION', 'WORKER', 'EPOCH', 'TASKS', 'STANDBYS'], workers);
  if (s.warnings.length > 0) out += `\nWarnings\n${s.warnings.map((w) => `  ${w}`).join('\n')}\n`;
  return out;
}

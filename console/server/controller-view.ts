// What only a Rill cluster's controllers know, for a console given them
// (`rill console --controllers`, or a cluster node's own console): the Raft
// quorum of the controllers (active one, term, each one's lag) and the stream
// applications that `rill worker`s run (workers, tasks, standbys). Read with
// the same calls as `rill cluster status`, each with a deadline.
import * as E from 'fp-ts/Either';
import { type ClusterStatus, clusterStatus, type ControllerAddress } from '../../core/cluster';
import type { AppView, QuorumView } from '../model';

/** The controllers did not answer (HTTP 502). */
export class ControllersUnavailable extends Error {}

const STATUS_TIMEOUT_MS = 3000;

export class ControllerView {
  constructor(private readonly controllers: readonly ControllerAddress[]) {}

  async quorum(): Promise<QuorumView> {
    const s = await this.status();
    // Only the Raft leader reports how far each controller has replicated.
    const progress = new Map(s.controllers.flatMap((c) => c.quorum?.replication ?? []).map((r) => [r.id, r.lag]));
    return {
      leader: s.leader,
      term: s.term,
      controllers: s.controllers.map((c) => ({
        id: c.id,
        address: c.address,
        role: c.quorum?.role ?? 'unreachable',
        active: c.quorum?.active ?? false,
        term: c.quorum?.term ?? null,
        commitIndex: c.quorum?.commitIndex ?? null,
        lag: progress.get(c.id) ?? null,
        error: c.error ?? null,
      })),
      warnings: s.warnings,
    };
  }

  async apps(): Promise<AppView[]> {
    return (await this.status()).apps.map((a) => ({
      app: a.app,
      generation: a.generation,
      workers: a.workers.map((w) => ({ ...w, status: null })),
      tasks: a.tasks,
      topology: null,
    }));
  }

  private async status(): Promise<ClusterStatus> {
    const s = await clusterStatus(this.controllers, STATUS_TIMEOUT_MS);
    if (E.isLeft(s)) throw new ControllersUnavailable(s.left);
    return s.right;
  }
}

// `rill cluster add-controller` / `remove-controller` against real controller
// processes (`rill broker --controller`, a 4th with `--join`), the CLI run as
// its own process: the 4th joins as a learner and becomes a voter; the active
// founder is removed and killed, another founder is killed with SIGKILL, and
// the two remaining voters of three still commit; both killed with SIGKILL and
// restarted from disk (the founder with the founding --controllers list), they
// keep the membership and commit again.
import { ErrorCode, type ClusterStatus } from '../../../../core/cluster';
import { ControllerClient } from '../../../../core/cluster/controller/controller-client';
import { useProcessCluster, runCli, STARTUP_BUDGET_MS } from './process-cluster';

const FOUNDERS = [1, 2, 3];
const DEADLINE_MS = 90_000;
const CLI_TIMEOUT_MS = 45_000;

describe('rill cluster add-controller / remove-controller with controller processes', () => {
  const clusterOf = useProcessCluster('rill-cluster-controllers-', FOUNDERS, []);

  it(
    'adds a 4th controller, removes the active founder, loses another, and the quorum still commits, also after restarts',
    async () => {
      const cluster = clusterOf();
      await cluster.allocatePorts();
      await Promise.all(FOUNDERS.map((id) => cluster.startController(id)));
      await cluster.startJoiningController(4);
      const deadline = Date.now() + DEADLINE_MS;
      const all = [...FOUNDERS, 4].map((id) => cluster.controllerAddress(id));
      const allArg = all.map((c) => `${c.id}@${c.host}:${c.port}`).join(',');
      await cluster.waitForActiveController(deadline);

      let brokerId = 100;
      /** A broker registration through whichever controller is active is accepted: answered only once committed. */
      const commits = async () => {
        const client = new ControllerClient(all);
        const id = ++brokerId;
        try {
          while (Date.now() < deadline) {
            const a = await client.call('registerBroker', { brokerId: id, rack: null, host: '127.0.0.1', port: 1 }, 2000);
            if (a.errorCode === 0) return;
            if (a.errorCode !== ErrorCode.NOT_CONTROLLER) throw new Error(`registering broker ${id}: ${a.errorCode} ${a.message}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          throw new Error(`the quorum did not commit broker ${id}'s registration before the deadline\n${cluster.dump()}`);
        } finally {
          client.close();
        }
      };
      /** The members as `rill cluster status --json` shows the active controller's view (asked again while none is active). */
      const voters = async () => {
        while (Date.now() < deadline) {
          const s = await runCli(['cluster', 'status', '--json', '--controllers', allArg, '--timeout-ms', '2000'], CLI_TIMEOUT_MS);
          const status = JSON.parse(s.stdout) as ClusterStatus;
          const members = status.controllers.find((c) => c.id === status.leader)?.quorum?.replication;
          if (members !== undefined) return members.map((p) => `${p.id}${p.learner ? ' (learner)' : ''}`);
        }
        throw new Error('no controller was active before the deadline');
      };

      const added = await runCli(
        ['cluster', 'add-controller', '--id', '4', '--address', `127.0.0.1:${cluster.controllerAddress(4).port}`, '--controllers', cluster.controllersArg],
        CLI_TIMEOUT_MS,
      );
      expect({ code: added.code, stdout: added.stdout, stderr: added.stderr }).toEqual({
        code: 0,
        stdout: 'Controller 4 is a voter. Voters: 1,2,3,4.\n',
        stderr: '',
      });
      expect(await voters()).toEqual(['1', '2', '3', '4']);
      await commits();

      // The active controller (a founder, unless an election made 4 active meanwhile: then founder 1).
      const active = (await Promise.all(all.map((c) => cluster.quorum(c.id)))).find((q) => q?.active)?.nodeId ?? 0;
      const removed = FOUNDERS.includes(active) ? active : 1;
      const gone = await runCli(['cluster', 'remove-controller', '--id', String(removed), '--controllers', cluster.controllersArg], CLI_TIMEOUT_MS);
      const rest = [1, 2, 3, 4].filter((id) => id !== removed);
      expect({ code: gone.code, stdout: gone.stdout, stderr: gone.stderr }).toEqual({
        code: 0,
        stdout: `Controller ${removed} is no longer a member. Voters: ${rest.join(',')}.\n`,
        stderr: '',
      });
      await cluster.kill(`c${removed}`);

      // Another founder dies: two of the three voters remain.
      const victim = rest.find((id) => id !== 4)!;
      await cluster.kill(`c${victim}`);
      await commits();
      expect(await voters()).toEqual(rest.map(String));

      // SIGKILL both survivors, restart them from disk: the founder with the founding list.
      const survivor = rest.find((id) => id !== 4 && id !== victim)!;
      await cluster.kill(`c${survivor}`);
      await cluster.kill('c4');
      await cluster.startController(survivor);
      await cluster.startJoiningController(4);
      await commits();
      expect(await voters()).toEqual(rest.map(String));
    },
    STARTUP_BUDGET_MS * 2 + DEADLINE_MS + 30_000,
  );
});

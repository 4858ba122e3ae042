// A controller's metrics, read from its Raft node and metadata image when
// scraped: whether it is the active controller (summed over the quorum: 1),
// its Raft term, commit and applied index, each voter's lag as the leader sees
// it, and the partitions without a leader (Kafka's KafkaController and
// raft-metrics meanings). Nothing is counted on the controller's own paths.
import { Gauge, readAtScrape, type Registry } from '../../metrics';
import { NO_LEADER } from '../metadata/records';
import type { MetadataImage } from '../metadata/image';
import type { DescribeQuorumAnswer } from './controller-protocol';

/** What the gauges read: a controller process's quorum view and image. */
interface MeteredController {
  describeQuorum(): DescribeQuorumAnswer;
  readonly image: MetadataImage;
}

export function controllerGauges(registry: Registry, controller: MeteredController): void {
  const gauge = (name: string, help: string, read: () => number) => readAtScrape(registry, name, help, read);
  const active = () => controller.describeQuorum().active;
  gauge(
    'rill_controller_active_controller_count',
    '1 on the active controller, 0 elsewhere: summed over the quorum it is 1 (Kafka ActiveControllerCount)',
    () => (active() ? 1 : 0),
  );
  gauge('rill_controller_raft_term', 'The Raft term this controller is in (Kafka current-epoch)', () => controller.describeQuorum().term);
  gauge(
    'rill_controller_raft_commit_index',
    'The highest metadata log index known committed (Kafka high-watermark)',
    () => controller.describeQuorum().commitIndex,
  );
  gauge(
    'rill_controller_raft_applied_index',
    "The highest metadata log index applied to this controller's image",
    () => controller.describeQuorum().appliedIndex,
  );
  gauge('rill_controller_offline_partitions', 'Partitions without a leader, on the active controller (0 elsewhere; Kafka OfflinePartitionsCount)', () =>
    active() ? offlinePartitions(controller) : 0,
  );
  new Gauge({
    name: 'rill_controller_raft_voter_lag',
    help: 'Metadata log entries a voter (or learner) lacks behind the Raft leader, as the leader sees it (reported by the leader only)',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of controller.describeQuorum().replication ?? []) this.set({ node: String(r.id) }, r.lag);
    },
  });
}

function offlinePartitions(controller: MeteredController): number {
  let n = 0;
  for (const topic of controller.image.topics.values()) for (const p of topic.partitions.values()) if (p.leader === NO_LEADER) n++;
  return n;
}

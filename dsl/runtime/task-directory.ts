// Where a key lives among the instances of an application: its partition (the
// default partitioner's, murmur2 of the serialized key: where Rill, Kafka
// clients and repartition topics put it) and the instance that runs that
// partition's task. Under a consumer group the hosts come from the group's
// current assignment (each instance's applicationServer is its client id);
// under external assignment the assigner tells them (setHosts), or else the
// instances claim their tasks themselves (QueryHostsTopic).
import { partitionForKey, type LogClient } from '../../core/client';
import type { ResolvedStore } from '../topology/topology';

export function partitionOfKey(store: ResolvedStore, key: unknown, partitions: number): number {
  if (partitions <= 1) return 0;
  const bytes = store.keySerde.serialize(key);
  if (bytes._tag === 'Left') throw new Error(`store "${store.name}": the query key does not serialize with the store's key serde: ${bytes.left.message}`);
  return partitionForKey(bytes.right, partitions);
}

export class TaskDirectory {
  private external: ReadonlyMap<number, string> | undefined;
  /** External assignment without setHosts: the instances' own claims (QueryHostsTopic). */
  private claims: { hosts(): Promise<ReadonlyMap<number, string>> } | undefined;

  constructor(
    private readonly client: LogClient,
    private readonly groupId: string,
  ) {}

  /** External assignment: the host (applicationServer) of every task, as the assigner knows it. */
  setHosts(hosts: ReadonlyMap<number, string>): void {
    this.external = new Map(hosts);
  }

  /** External assignment: the hosts as the instances claim them, until setHosts() says otherwise. */
  useClaims(claims: { hosts(): Promise<ReadonlyMap<number, string>> }): void {
    this.claims = claims;
  }

  /** The applicationServer of the instance that runs `partition`'s task, when known. */
  async hostOf(partition: number): Promise<string | undefined> {
    return (await this.hosts()).get(partition);
  }

  /** The applicationServer of the instance that runs each task, for the tasks whose owner is known. */
  async hosts(): Promise<ReadonlyMap<number, string>> {
    if (this.external) return this.external;
    if (this.claims) return this.claims.hosts();
    const hosts = new Map<number, string>();
    if (!this.client.groupMembers) return hosts;
    for (const member of await this.client.groupMembers(this.groupId)) {
      if (!member.clientId.startsWith(SERVER_PREFIX)) continue;
      for (const tp of member.partitions) hosts.set(tp.partition, member.clientId.slice(SERVER_PREFIX.length));
    }
    return hosts;
  }
}

const SERVER_PREFIX = 'rill-streams@';

/** The client id a group member carries: its applicationServer, for hostOf() on the other members. */
export function clientIdFor(applicationServer: string | undefined): string {
  return applicationServer === undefined ? 'rill-streams' : `${SERVER_PREFIX}${applicationServer}`;
}

// ACL checks on the schema registry's subjects (core/schema's
// subject-access.ts says which access each request needs) against Kafka ACLs:
// - `rill broker --authorizer`: the broker's own authorizer, the same ACLs
//   its Kafka listeners check;
// - `rill schema-registry --authorizer`: the brokers' ACLs, read with
//   DescribeAcls (the registry's own principal needs DESCRIBE on the cluster)
//   at start and again every ACL_REFRESH_MS, and checked here by the same
//   Authorizer with the registry's own --super-users. A change made with
//   `rill acl` takes effect within that time; a failed refresh keeps the last
//   ACLs and says so.
import { auth, type AclPort, type KafkaConnection } from '../core/protocol';
import type { RegistryAccess, RegistryAuthorizer } from '../core/schema';
import { describeAcls } from './acl-describe';

const { AclOperation, AclPermission, CLUSTER_RESOURCE, PatternType, ResourceType } = auth;

/** How often `rill schema-registry --authorizer` reads the brokers' ACLs again. */
export const ACL_REFRESH_MS = 5_000;

type Decide = Pick<AclPort, 'authorize'>;

/** The registry's checks over an authorizer (an AclPort's, or one over ACLs read from the brokers). */
export function registryAuthorizer(acls: () => Decide): RegistryAuthorizer {
  return (caller, access: RegistryAccess) =>
    acls().authorize(
      caller.principal,
      caller.host,
      AclOperation[access.operation],
      access.resource === 'Topic' ? ResourceType.TOPIC : ResourceType.CLUSTER,
      access.resource === 'Topic' ? access.name : CLUSTER_RESOURCE,
    );
}

/** Every ACL of the brokers: DescribeAcls with a filter that matches all. */
const ALL = {
  resourceType: ResourceType.ANY,
  resourceName: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permission: AclPermission.ANY,
};

/**
 * The brokers' ACLs as an authorizer, read now (a failure throws: the
 * registry does not start without them) and refreshed every ACL_REFRESH_MS
 * until `stop()`.
 */
export async function brokerAcls(
  connect: () => Promise<KafkaConnection>,
  config: auth.AuthorizerConfig,
  warn: (message: string) => void,
): Promise<{ current: () => Decide; stop: () => void }> {
  const read = async () => {
    const conn = await connect();
    try {
      return new auth.Authorizer(config, await describeAcls(conn, ALL));
    } finally {
      conn.close();
    }
  };
  let current = await read();
  let failing = false;
  const timer = setInterval(() => {
    read().then(
      (next) => {
        current = next;
        failing = false;
      },
      (e: Error) => {
        if (!failing) warn(`cannot read the brokers' ACLs (${e.message}); the registry checks the ACLs it read last until it can`);
        failing = true;
      },
    );
  }, ACL_REFRESH_MS);
  timer.unref();
  return { current: () => current, stop: () => clearInterval(timer) };
}

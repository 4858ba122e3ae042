// DescribeAcls over the wire, as bindings: what `rill acl list` prints and what
// `rill schema-registry --authorizer` checks its callers against.
import { apis, type AclBinding, type AclBindingFilter, type KafkaConnection } from '../core/protocol';
import { check } from './wire';

/** DescribeAcls' request fields for a filter. */
export function wireFilter(f: AclBindingFilter) {
  return {
    resourceTypeFilter: f.resourceType,
    resourceNameFilter: f.resourceName,
    patternTypeFilter: f.patternType,
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: f.operation,
    permissionType: f.permission,
  };
}

/** The ACLs the broker has that match the filter; a refusal (no DESCRIBE on the cluster) throws with its error. */
export async function describeAcls(conn: KafkaConnection, filter: AclBindingFilter): Promise<AclBinding[]> {
  const r = await conn.request<apis.DescribeAclsResponse>(apis.describeAcls, wireFilter(filter));
  check(r.errorCode, 'cannot list ACLs', r.errorMessage);
  return r.resources.flatMap((res) =>
    res.acls.map((a) => ({
      resourceType: res.resourceType,
      resourceName: res.resourceName,
      patternType: res.patternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permission: a.permissionType,
    })),
  );
}

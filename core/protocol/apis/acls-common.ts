// What DescribeAcls, CreateAcls and DeleteAcls share: the fields of an ACL
// filter and of an ACL, and the answer when the broker has no authorizer.
import { ErrorCode, field } from '../../wire';
import type { RequestContext } from '../api';
import type { AclBinding, AclBindingFilter, AclPort } from '../ports';
import { clusterAuthorized, deniedCode, deniedMessage } from '../auth';

/** An ACL filter's fields, Kafka's names (v0 has no pattern type: LITERAL). */
export const filterFields = [
  field('resourceTypeFilter', 'int8', '0+'),
  field('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
  field('patternTypeFilter', 'int8', '1+', { default: 3 }),
  field('principalFilter', 'string', '0+', { nullable: '0+' }),
  field('hostFilter', 'string', '0+', { nullable: '0+' }),
  field('operation', 'int8', '0+'),
  field('permissionType', 'int8', '0+'),
];

export interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export function fromWireFilter(f: WireFilter): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}

/** An ACL's principal, host, operation and permission, as DescribeAcls and DeleteAcls answer them. */
export const entryFields = [
  field('principal', 'string', '0+'),
  field('host', 'string', '0+'),
  field('operation', 'int8', '0+'),
  field('permissionType', 'int8', '0+'),
];

export interface WireAclEntry {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export function wireEntry(b: AclBinding): WireAclEntry {
  return { principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission };
}

export const NO_AUTHORIZER = 'No Authorizer is configured on the broker (start it with --authorizer)';

/** The broker's AclPort, or the refusal of an ACL API: SECURITY_DISABLED without an authorizer, CLUSTER_AUTHORIZATION_FAILED without `operation` on the cluster. */
export function aclAdmin(ctx: RequestContext, operation: 'ALTER' | 'DESCRIBE'): AclPort | { errorCode: number; errorMessage: string } {
  if (ctx.acls === undefined) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER };
  if (!clusterAuthorized(ctx, operation)) return { errorCode: deniedCode.Cluster, errorMessage: deniedMessage(ctx, 'Cluster', '', operation) };
  return ctx.acls;
}

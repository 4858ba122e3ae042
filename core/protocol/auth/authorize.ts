// The one check every handler makes: may this request's principal, from its
// host, perform the operation on the resource? Without an authorizer (the
// default) the answer is always yes, at the cost of one property read.
//
// Handlers call authorized(ctx, 'Topic', name, 'READ') and answer the
// resource's error code (deniedCode) where it says no. The transaction APIs
// call authorized(ctx, 'TransactionalId', id, 'WRITE').
import type * as E from 'fp-ts/Either';
import type { RequestContext } from '../api';
import type { PortError } from '../ports';
import { ErrorCode } from '../../wire';
import { AclOperation, CLUSTER_RESOURCE, ResourceType } from './acl';

export type Resource = 'Topic' | 'Group' | 'Cluster' | 'TransactionalId';
export type Operation = Exclude<keyof typeof AclOperation, 'UNKNOWN' | 'ANY'>;

const RESOURCE_TYPE: Readonly<Record<Resource, number>> = {
  Topic: ResourceType.TOPIC,
  Group: ResourceType.GROUP,
  Cluster: ResourceType.CLUSTER,
  TransactionalId: ResourceType.TRANSACTIONAL_ID,
};

/** The error a refusal on each resource type answers, as Kafka's. */
export const deniedCode: Readonly<Record<Resource, number>> = {
  Topic: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  Group: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  Cluster: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  TransactionalId: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
};

/** Whether the request may perform `operation` on the resource (the Cluster resource's name is implied). */
export function authorized(ctx: RequestContext, resource: Resource, name: string, operation: Operation): boolean {
  if (ctx.acls === undefined) return true;
  const resourceName = resource === 'Cluster' ? CLUSTER_RESOURCE : name;
  return ctx.acls.authorize(ctx.principal, ctx.clientHost, AclOperation[operation], RESOURCE_TYPE[resource], resourceName);
}

/** Whether the request may perform `operation` on the cluster. */
export function clusterAuthorized(ctx: RequestContext, operation: Operation): boolean {
  return authorized(ctx, 'Cluster', CLUSTER_RESOURCE, operation);
}

/** A memo of authorized() over many names of one resource type (a request naming a topic per partition asks once per topic). */
export function authorizer(ctx: RequestContext, resource: Resource, operation: Operation): (name: string) => boolean {
  if (ctx.acls === undefined) return () => true;
  const seen = new Map<string, boolean>();
  return (name) => {
    let ok = seen.get(name);
    if (ok === undefined) seen.set(name, (ok = authorized(ctx, resource, name, operation)));
    return ok;
  };
}

/** The refusal message a client sees. */
export function deniedMessage(ctx: RequestContext, resource: Resource, name: string, operation: Operation): string {
  const what = resource === 'Cluster' ? 'the cluster' : `${resource} ${JSON.stringify(name)}`;
  return `${ctx.principal} is not authorized to ${operation} ${what}`;
}

/** The refusal as a port error, for a handler to answer where it answers the port's own refusals. */
export function denial(ctx: RequestContext, resource: Resource, name: string, operation: Operation): E.Left<PortError> {
  return { _tag: 'Left', left: { code: deniedCode[resource], message: deniedMessage(ctx, resource, name, operation) } };
}

/** `run()` when the request may perform the operation, else its denial: `const r = ifAuthorized(ctx, 'Topic', t, 'WRITE', () => ctx.partitions.produce(...))`. */
export function ifAuthorized<T>(ctx: RequestContext, resource: Resource, name: string, operation: Operation, run: () => T): T | E.Left<PortError> {
  return authorized(ctx, resource, name, operation) ? run() : denial(ctx, resource, name, operation);
}

/** An idempotent producer's right to a producer id: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (as Kafka 3+). */
export function idempotentWriteAuthorized(ctx: RequestContext): boolean {
  if (ctx.acls === undefined || clusterAuthorized(ctx, 'IDEMPOTENT_WRITE')) return true;
  return ctx.acls.authorizeByResourceType(ctx.principal, ctx.clientHost, AclOperation.WRITE, ResourceType.TOPIC);
}

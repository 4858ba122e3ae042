// Who may do what in the schema registry, in Kafka's ACL terms, so one set of
// ACLs (`rill acl`) governs a topic's records and its schemas alike. A
// subject named by Confluent's TopicNameStrategy (`<topic>-key`,
// `<topic>-value`) belongs to its topic: reading its schemas needs DESCRIBE
// on the topic (which READ and WRITE imply, so every producer and consumer of
// the topic can), registering WRITE, deleting DELETE, its compatibility
// DESCRIBE_CONFIGS / ALTER_CONFIGS. Any other subject (RecordNameStrategy's
// `<record name>`, TopicRecordNameStrategy's) may serve many topics, so it
// needs the Cluster: DESCRIBE to read, ALTER to register or delete, and the
// same config operations. The global compatibility is the Cluster's config.
// A schema fetched by id needs a subject that uses it; lists show only the
// subjects the caller may describe.

export type RegistryOperation = 'DESCRIBE' | 'WRITE' | 'DELETE' | 'ALTER' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS';

/** An operation on a Kafka resource: a topic by name, or the cluster. */
export interface RegistryAccess {
  readonly resource: 'Topic' | 'Cluster';
  /** The topic's name; the subject's own name for a Cluster check (what a refusal names). */
  readonly name: string;
  readonly operation: RegistryOperation;
}

/** Whether the caller (principal "User:<name>", from host) may have the access; super users and the ACLs are the checker's. */
export type RegistryAuthorizer = (caller: { readonly principal: string; readonly host: string }, access: RegistryAccess) => boolean;

/** Confluent's error code of a refusal (HTTP 403). */
export const FORBIDDEN_ERROR_CODE = 40301;

/** What a subject-level operation becomes on the cluster, for subjects that are no topic's. */
const ON_CLUSTER: Readonly<Record<RegistryOperation, RegistryOperation>> = {
  DESCRIBE: 'DESCRIBE',
  WRITE: 'ALTER',
  DELETE: 'ALTER',
  ALTER: 'ALTER',
  DESCRIBE_CONFIGS: 'DESCRIBE_CONFIGS',
  ALTER_CONFIGS: 'ALTER_CONFIGS',
};

/** The access an operation on a subject needs: its topic's under TopicNameStrategy, else the cluster's. */
export function subjectAccess(subject: string, operation: RegistryOperation): RegistryAccess {
  const topic = /^(.+)-(?:key|value)$/s.exec(subject)?.[1];
  return topic !== undefined ? { resource: 'Topic', name: topic, operation } : { resource: 'Cluster', name: subject, operation: ON_CLUSTER[operation] };
}

/**
 * What a request needs before it runs: nothing (the root, the schema types),
 * an access, a schema id (some subject using it must be describable), or a
 * list to filter afterwards.
 */
export type RequestAccess =
  | { readonly kind: 'open' }
  | { readonly kind: 'access'; readonly access: RegistryAccess }
  | { readonly kind: 'schema-id'; readonly id: number }
  | { readonly kind: 'subject-list' };

const SUBJECT_ROUTES: readonly { method: string; pattern: RegExp; operation: RegistryOperation }[] = [
  { method: 'GET', pattern: /^\/subjects\/([^/]+)\/versions(?:\/[^/]+(?:\/schema)?)?$/, operation: 'DESCRIBE' },
  { method: 'POST', pattern: /^\/subjects\/([^/]+)\/versions$/, operation: 'WRITE' },
  { method: 'POST', pattern: /^\/subjects\/([^/]+)$/, operation: 'DESCRIBE' },
  { method: 'DELETE', pattern: /^\/subjects\/([^/]+)(?:\/versions\/[^/]+)?$/, operation: 'DELETE' },
  { method: 'POST', pattern: /^\/compatibility\/subjects\/([^/]+)\/versions(?:\/[^/]+)?$/, operation: 'DESCRIBE' },
  { method: 'GET', pattern: /^\/config\/([^/]+)$/, operation: 'DESCRIBE_CONFIGS' },
  { method: 'PUT', pattern: /^\/config\/([^/]+)$/, operation: 'ALTER_CONFIGS' },
  { method: 'DELETE', pattern: /^\/config\/([^/]+)$/, operation: 'ALTER_CONFIGS' },
];

/** The access a request (its path still percent-encoded) needs; a path no route knows is 'open' (it gets its 404 or 405). */
export function requestAccess(method: string, path: string): RequestAccess {
  if (method === 'GET' && path === '/subjects') return { kind: 'subject-list' };
  const id = /^\/schemas\/ids\/(\d{1,10})(?:\/schema|\/versions)?$/.exec(path);
  if (method === 'GET' && id !== null) return { kind: 'schema-id', id: Number(id[1]) };
  if (path === '/config' && (method === 'GET' || method === 'PUT'))
    return { kind: 'access', access: { resource: 'Cluster', name: 'kafka-cluster', operation: method === 'GET' ? 'DESCRIBE_CONFIGS' : 'ALTER_CONFIGS' } };
  for (const route of SUBJECT_ROUTES) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (match === null) continue;
    let subject: string;
    try {
      subject = decodeURIComponent(match[1]);
    } catch {
      return { kind: 'open' }; // the API answers its 400
    }
    return { kind: 'access', access: subjectAccess(subject, route.operation) };
  }
  return { kind: 'open' };
}

/** The refusal's message. */
export function deniedMessage(principal: string, access: RegistryAccess): string {
  const what = access.resource === 'Cluster' ? `the cluster (subject or setting ${JSON.stringify(access.name)})` : `Topic ${JSON.stringify(access.name)}`;
  return `${principal} is not authorized to ${access.operation} ${what}`;
}

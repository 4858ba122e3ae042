// The authorizer settings of `rill broker` (both modes): Kafka's
// authorizer.class.name, super.users and allow.everyone.if.no.acl.found, and
// the --authorizer / --super-users flags that set them.
import { UsageError } from './args';
import type { auth } from '../core/protocol';

/** The class names that turn the authorizer on: Kafka's (a server.properties works as is) and Rill's short one. */
export const AUTHORIZER_NAMES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'rill'] as const;

export interface AuthorizerSettings {
  /** authorizer.class.name; undefined: no authorizer (everyone may do everything). */
  authorizer?: string;
  /** super.users: "User:admin;User:bob". */
  superUsers?: string;
  allowEveryoneIfNoAclFound?: boolean;
}

export const AUTHORIZER_FLAGS = {
  authorizer: {
    kind: 'boolean',
    help: 'check every request against ACLs (rill acl ...); config key authorizer.class.name (Kafka\'s StandardAuthorizer or "rill")',
  },
  'super-users': {
    kind: 'string',
    arg: 'LIST',
    help: 'principals allowed everything, e.g. "User:CN=admin;User:bob"; config key super.users',
  },
} as const;

/** The authorizer flags given, as config keys. */
export function authorizerFlagsAsConfig(flags: { authorizer?: boolean; 'super-users'?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (flags.authorizer) out['authorizer.class.name'] = 'rill';
  if (flags['super-users'] !== undefined) out['super.users'] = flags['super-users'];
  return out;
}

/** The authorizer's configuration, or undefined when none is configured; throws UsageError on an unknown class or a malformed principal. */
export function authorizerConfig(s: AuthorizerSettings): auth.AuthorizerConfig | undefined {
  const superUsers = (s.superUsers ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of superUsers)
    if (!/^[^:]+:.+$/.test(p)) throw new UsageError(`super.users: "${p}" is not a principal; write Type:name, e.g. User:alice (several separated by ;)`);
  if (s.authorizer === undefined) {
    if (superUsers.length > 0) throw new UsageError('super.users needs an authorizer: give --authorizer (authorizer.class.name=rill) too');
    return undefined;
  }
  if (!(AUTHORIZER_NAMES as readonly string[]).includes(s.authorizer))
    throw new UsageError(`authorizer.class.name "${s.authorizer}" is not one Rill has; use one of ${AUTHORIZER_NAMES.join(', ')}`);
  return { superUsers, allowEveryoneIfNoAclFound: s.allowEveryoneIfNoAclFound ?? false };
}

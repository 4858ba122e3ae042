// `rill acl create|list|delete`: the broker's ACLs over the wire (CreateAcls,
// DescribeAcls, DeleteAcls), with kafka-acls.sh's flags: --allow-principal,
// --deny-principal, --operation, --topic/--group/--cluster/--transactional-id,
// --resource-pattern-type, --host.
import { aclCodeOf, apis, auth, describeAcl, type AclBinding, type AclBindingFilter } from '../core/protocol';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, FORMAT_FLAG, outputFormat, parseCommand, takeAction, UsageError } from './args';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { bootstrapOf, check, CommandError, connect } from './wire';
import { describeAcls, wireFilter } from './acl-describe';

const { AclOperation, AclPermission, PatternType, ResourceType } = auth;
const ACTIONS = ['create', 'list', 'delete'] as const;
const RESOURCES = '(--topic NAME | --group NAME | --cluster | --transactional-id ID)';

const USAGE: Record<string, string> = {
  create: `rill acl create (--allow-principal P | --deny-principal P)... --operation OP... ${RESOURCES} [--resource-pattern-type literal|prefixed] [--host IP]`,
  list: `rill acl list [${RESOURCES}] [--principal P] [--resource-pattern-type any|match|literal|prefixed] [--format text|json]`,
  delete: `rill acl delete [${RESOURCES}] [--allow-principal P | --deny-principal P | --principal P] [--operation OP] [--resource-pattern-type ...]     every ACL that matches`,
};

const OPERATIONS = Object.keys(AclOperation)
  .filter((k) => k !== 'UNKNOWN' && k !== 'ANY')
  .map((k) =>
    k
      .toLowerCase()
      .replace(/_(.)/g, (_, c: string) => c.toUpperCase())
      .replace(/^./, (c) => c.toUpperCase()),
  );

const SPEC = {
  'allow-principal': { kind: 'strings', arg: 'P', help: 'who is allowed, e.g. User:alice or User:* (repeatable)', actions: ['create', 'delete'] },
  'deny-principal': { kind: 'strings', arg: 'P', help: 'who is denied (repeatable); a DENY wins over any ALLOW', actions: ['create', 'delete'] },
  principal: { kind: 'string', arg: 'P', help: 'only the ACLs of this principal', actions: ['list', 'delete'] },
  operation: { kind: 'strings', arg: 'OP', help: `${OPERATIONS.join(', ')} (repeatable)`, actions: ['create', 'delete'] },
  topic: { kind: 'string', arg: 'NAME', help: 'a topic (* for every topic)' },
  group: { kind: 'string', arg: 'NAME', help: 'a consumer group (* for every group)' },
  cluster: { kind: 'boolean', help: 'the cluster (admin requests, ACLs themselves, idempotent writes)' },
  'transactional-id': { kind: 'string', arg: 'ID', help: 'a transactional id (* for every one)' },
  'resource-pattern-type': {
    kind: 'string',
    arg: 'TYPE',
    help: 'literal or prefixed (create); any, match, literal or prefixed (list, delete)',
    defaultText: 'literal to create; any to list or delete',
  },
  host: { kind: 'string', arg: 'IP', help: 'the client address the ACL applies to', defaultText: '* (any host)', aliases: ['allow-host', 'deny-host'] },
  format: { ...FORMAT_FLAG, actions: ['list'] },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
} as const;

export function aclHelp(action?: string): string {
  const known = action !== undefined && USAGE[action] !== undefined;
  return commandHelp({
    title: known ? `rill acl ${action}` : "rill acl — the broker's ACLs (needs a broker started with --authorizer)",
    usage: known ? [USAGE[action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: known
      ? undefined
      : 'Creating and deleting need ALTER on the cluster, listing DESCRIBE (a super user has both). "rill acl ACTION --help" shows one action.',
  });
}

type Flags = ReturnType<typeof parseCommand<typeof SPEC>>['flags'];

/** The resource the flags name, if any. */
function resourceOf(flags: Flags): { type: number; name: string } | undefined {
  const given: [number, string | undefined][] = [
    [ResourceType.TOPIC, flags.topic],
    [ResourceType.GROUP, flags.group],
    [ResourceType.CLUSTER, flags.cluster ? auth.CLUSTER_RESOURCE : undefined],
    [ResourceType.TRANSACTIONAL_ID, flags['transactional-id']],
  ];
  const named = given.filter(([, name]) => name !== undefined).map(([type, name]) => ({ type, name: name! }));
  if (named.length > 1) throw new UsageError(`give one resource: ${RESOURCES}`);
  return named[0];
}

function patternOf(flags: Flags, fallback: number, allowed: readonly string[]): number {
  const given = flags['resource-pattern-type'];
  if (given === undefined) return fallback;
  if (!allowed.includes(given.toLowerCase())) throw new UsageError(`--resource-pattern-type must be ${allowed.join(', ')}, not "${given}"`);
  return aclCodeOf(PatternType, given)!;
}

function operationsOf(flags: Flags): number[] {
  return (flags.operation ?? []).map((name) => {
    const op = aclCodeOf(AclOperation, name);
    if (op === undefined || op === AclOperation.ANY || op === AclOperation.UNKNOWN)
      throw new UsageError(`unknown --operation "${name}"; one of ${OPERATIONS.join(', ')}`);
    return op;
  });
}

/** (principal, permission) pairs from --allow-principal and --deny-principal. */
function principalsOf(flags: Flags): { principal: string; permission: number }[] {
  return [
    ...(flags['allow-principal'] ?? []).map((principal) => ({ principal, permission: AclPermission.ALLOW as number })),
    ...(flags['deny-principal'] ?? []).map((principal) => ({ principal, permission: AclPermission.DENY as number })),
  ];
}

function bindingsToCreate(flags: Flags): AclBinding[] {
  const resource = resourceOf(flags);
  if (!resource) throw new UsageError(`give the resource: ${RESOURCES}`);
  const principals = principalsOf(flags);
  if (principals.length === 0) throw new UsageError('give --allow-principal P or --deny-principal P');
  const operations = operationsOf(flags);
  if (operations.length === 0) throw new UsageError(`give --operation OP (${OPERATIONS.join(', ')})`);
  const patternType = patternOf(flags, PatternType.LITERAL, ['literal', 'prefixed']);
  const bindings = principals.flatMap(({ principal, permission }) =>
    operations.map((operation) => ({
      resourceType: resource.type,
      resourceName: resource.name,
      patternType,
      principal,
      host: flags.host ?? auth.WILDCARD,
      operation,
      permission,
    })),
  );
  for (const b of bindings) {
    const invalid = auth.invalidBinding(b);
    if (invalid !== undefined) throw new UsageError(invalid);
  }
  return bindings;
}

/** The filters list and delete mean: one per (principal, permission, operation) given, ANY where not given. */
function filtersOf(flags: Flags): AclBindingFilter[] {
  const resource = resourceOf(flags);
  const base = {
    resourceType: resource?.type ?? ResourceType.ANY,
    resourceName: resource?.name ?? null,
    patternType: patternOf(flags, resource ? PatternType.LITERAL : PatternType.ANY, ['any', 'match', 'literal', 'prefixed']),
    host: flags.host ?? null,
  };
  const principals = principalsOf(flags);
  const who = principals.length > 0 ? principals : [{ principal: flags.principal ?? null, permission: AclPermission.ANY as number }];
  const operations = operationsOf(flags);
  return who.flatMap(({ principal, permission }) =>
    (operations.length > 0 ? operations : [AclOperation.ANY as number]).map((operation) => ({ ...base, principal, permission, operation })),
  );
}

function aclLine(b: AclBinding): string {
  const c = auth.codeName;
  return `${c(ResourceType, b.resourceType)}:${c(PatternType, b.patternType)}:${b.resourceName}\t${b.principal}\t${b.host}\t${c(AclOperation, b.operation)}\t${c(AclPermission, b.permission)}`;
}

function aclJson(b: AclBinding) {
  const c = auth.codeName;
  return {
    resourceType: c(ResourceType, b.resourceType),
    resourceName: b.resourceName,
    patternType: c(PatternType, b.patternType),
    principal: b.principal,
    host: b.host,
    operation: c(AclOperation, b.operation),
    permission: c(AclPermission, b.permission),
  };
}

export function runAcl(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('acl', aclHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest } = takeAction(positional, ACTIONS);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const format = outputFormat(flags.format);
    // Checked before connecting: a usage mistake needs no broker.
    const toCreate = action === 'create' ? bindingsToCreate(flags) : [];
    const filters = action === 'create' ? [] : filtersOf(flags);
    const conn = await connect(bootstrapOf(flags, io));
    try {
      if (action === 'create') {
        const r = await conn.request<apis.CreateAclsResponse>(apis.createAcls, {
          creations: toCreate.map((b) => ({ ...b, resourcePatternType: b.patternType, permissionType: b.permission })),
        });
        r.results.forEach((result, i) => check(result.errorCode, `cannot create ACL ${describeAcl(toCreate[i])}`, result.errorMessage));
        for (const b of toCreate) await writeLine(io.stdout, `created: ${describeAcl(b)}`);
        return;
      }
      if (action === 'delete') {
        const r = await conn.request<apis.DeleteAclsResponse>(apis.deleteAcls, { filters: filters.map(wireFilter) });
        let deleted = 0;
        for (const result of r.filterResults) {
          check(result.errorCode, 'cannot delete ACLs', result.errorMessage);
          for (const m of result.matchingAcls) {
            deleted++;
            const b = { ...m, patternType: m.patternType, permission: m.permissionType };
            await writeLine(io.stdout, `deleted: ${describeAcl(b)}`);
          }
        }
        if (deleted === 0) await writeLine(io.stdout, 'no ACL matched');
        return;
      }
      const found: AclBinding[] = [];
      for (const f of filters) found.push(...(await describeAcls(conn, f)));
      if (format === 'json') return void (await writeLine(io.stdout, JSON.stringify(found.map(aclJson))));
      await writeLine(io.stdout, 'RESOURCE\tPRINCIPAL\tHOST\tOPERATION\tPERMISSION');
      for (const b of found) await writeLine(io.stdout, aclLine(b));
    } catch (e) {
      if (e instanceof UsageError || e instanceof CommandError) throw e;
      throw new CommandError((e as Error).message);
    } finally {
      conn.close();
    }
  });
}

import { checkCompatibility, COMPATIBILITY_LEVELS, EphemeralSchemaStorage, parseAvroType, SchemaRegistry, type CompatibilityLevel } from '../../../core/schema';

const type = (schema: object | string) => {
  const parsed = parseAvroType(schema);
  if (parsed._tag === 'Left') throw new Error(parsed.left.message);
  return parsed.right;
};

const record = (fields: object[], extra: object = {}) => ({ type: 'record', name: 'Order', namespace: 'shop', fields, ...extra });
const field = (name: string, fieldType: unknown, extra: object = {}) => ({ name, type: fieldType, ...extra });
const enumType = (symbols: string[], extra: object = {}) => ({ type: 'enum', name: 'Status', symbols, ...extra });

/** Messages for evolving `from` to `to` at `level` (one previous version). */
const check = (from: object | string, to: object | string, level: CompatibilityLevel) =>
  checkCompatibility(type(to), [{ version: 1, type: type(from) }], level);

interface Case {
  name: string;
  from: object | string;
  to: object | string;
  /** Can the new schema read old data? */
  backward: boolean;
  /** Can the old schema read new data? */
  forward: boolean;
  /** Expected in the message of the direction that fails. */
  reason?: RegExp;
}

const base = [field('id', 'string')];
const cases: Case[] = [
  { name: 'added field with default', from: record(base), to: record([...base, field('note', 'string', { default: '' })]), backward: true, forward: true },
  {
    name: 'added field without default',
    from: record(base),
    to: record([...base, field('qty', 'int')]),
    backward: false,
    forward: true,
    reason: /field shop\.Order\.qty: the reader has field 'qty' without a default and the writer does not write it/,
  },
  {
    name: 'removed field without default',
    from: record([...base, field('qty', 'int')]),
    to: record(base),
    backward: true,
    forward: false,
    reason: /version 1 cannot read data written with the new schema: field shop\.Order\.qty/,
  },
  { name: 'removed field with default', from: record([...base, field('qty', 'int', { default: 0 })]), to: record(base), backward: true, forward: true },
  {
    name: 'int -> long',
    from: record([field('n', 'int')]),
    to: record([field('n', 'long')]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.n: a long cannot be read as an int \(rule: type change; allowed type changes are int -> long/,
  },
  {
    name: 'float -> double',
    from: record([field('x', 'float')]),
    to: record([field('x', 'double')]),
    backward: true,
    forward: false,
    reason: /a double cannot be read as a float/,
  },
  { name: 'string -> bytes', from: record([field('b', 'string')]), to: record([field('b', 'bytes')]), backward: true, forward: true },
  { name: 'bytes -> string', from: record([field('b', 'bytes')]), to: record([field('b', 'string')]), backward: true, forward: true },
  {
    name: 'string -> int',
    from: record([field('b', 'string')]),
    to: record([field('b', 'int')]),
    backward: false,
    forward: false,
    reason: /a string cannot be read as an int/,
  },
  {
    name: 'enum symbol added',
    from: record([field('s', enumType(['NEW', 'PAID']))]),
    to: record([field('s', enumType(['NEW', 'PAID', 'SHIPPED']))]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.s: enum shop\.Status lacks the symbol SHIPPED that the writer may write/,
  },
  {
    name: 'enum symbol removed',
    from: record([field('s', enumType(['NEW', 'PAID', 'VOID']))]),
    to: record([field('s', enumType(['NEW', 'PAID']))]),
    backward: false,
    forward: true,
    reason: /enum shop\.Status lacks the symbol VOID .*rule: an enum symbol may only be removed if the reader's enum has a default/,
  },
  {
    name: 'enum symbol removed, reader enum has a default',
    from: record([field('s', enumType(['NEW', 'PAID', 'VOID']))]),
    to: record([field('s', enumType(['NEW', 'PAID'], { default: 'NEW' }))]),
    backward: true,
    forward: true,
  },
  {
    name: 'union branch added',
    from: record([field('v', ['null', 'string'])]),
    to: record([field('v', ['null', 'string', 'long'])]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.v: the writer's long matches no branch of the reader's union \[null, string\]/,
  },
  {
    name: 'union branch removed',
    from: record([field('v', ['null', 'string', 'long'])]),
    to: record([field('v', ['null', 'string'])]),
    backward: false,
    forward: true,
    reason: /the writer's long matches no branch of the reader's union/,
  },
  {
    name: 'field made nullable (type -> union)',
    from: record([field('v', 'string')]),
    to: record([field('v', ['null', 'string'], { default: null })]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.v: a null cannot be read as a string/,
  },
  {
    name: 'renamed field with alias',
    from: record([field('qty', 'int')]),
    to: record([field('quantity', 'int', { aliases: ['qty'] })]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.qty: the reader has field 'qty' without a default/,
  },
  {
    name: 'renamed field without alias',
    from: record([field('qty', 'int')]),
    to: record([field('quantity', 'int')]),
    backward: false,
    forward: false,
    reason: /field shop\.Order\.quantity: .*give it a default, or an alias if it was renamed/,
  },
  {
    name: 'renamed record with alias',
    from: record(base),
    to: record(base, { name: 'Purchase', aliases: ['shop.Order'] }),
    backward: true,
    forward: false,
    reason: /record shop\.Purchase cannot be read as record shop\.Order \(rule: a named type keeps its name/,
  },
  {
    name: 'nested record field type change',
    from: record([field('address', record([field('zip', 'int')], { name: 'Address' }))]),
    to: record([field('address', record([field('zip', 'string')], { name: 'Address' }))]),
    backward: false,
    forward: false,
    reason: /field shop\.Order\.address\.zip: an int cannot be read as a string/,
  },
  {
    name: 'array item promotion',
    from: record([field('xs', { type: 'array', items: 'int' })]),
    to: record([field('xs', { type: 'array', items: 'double' })]),
    backward: true,
    forward: false,
    reason: /field shop\.Order\.xs\[\]: a double cannot be read as an int/,
  },
];

describe.each(cases)('$name', ({ from, to, backward, forward, reason }) => {
  it(`BACKWARD is ${backward ? 'compatible' : 'refused'}`, () => {
    const messages = check(from, to, 'BACKWARD');
    expect(messages.length === 0).toBe(backward);
    if (!backward) expect(messages.join('\n')).toMatch(reason!);
  });
  it(`FORWARD is ${forward ? 'compatible' : 'refused'}`, () => {
    const messages = check(from, to, 'FORWARD');
    expect(messages.length === 0).toBe(forward);
    if (!forward && backward) expect(messages.join('\n')).toMatch(reason!);
  });
  it(`FULL is ${backward && forward ? 'compatible' : 'refused'}, NONE always compatible`, () => {
    expect(check(from, to, 'FULL').length === 0).toBe(backward && forward);
    expect(check(from, to, 'NONE')).toEqual([]);
  });
});

describe('transitive levels check every version, the others only the latest', () => {
  // v1 {id}, v2 {id, qty default 0}, v3 {id, qty (no default)}: v3 reads v2 data, not v1 data.
  const v1 = type(record(base));
  const v2 = type(record([...base, field('qty', 'int', { default: 0 })]));
  const v3 = type(record([...base, field('qty', 'int')]));
  const history = [
    { version: 1, type: v1 },
    { version: 2, type: v2 },
  ];

  it('BACKWARD accepts, BACKWARD_TRANSITIVE refuses naming version 1', () => {
    expect(checkCompatibility(v3, history, 'BACKWARD')).toEqual([]);
    expect(checkCompatibility(v3, history, 'BACKWARD_TRANSITIVE')).toEqual([
      expect.stringMatching(/^BACKWARD_TRANSITIVE: the new schema cannot read data written with version 1: field shop\.Order\.qty/),
    ]);
    expect(checkCompatibility(v3, history, 'FULL_TRANSITIVE')).toHaveLength(1);
  });

  it('FORWARD_TRANSITIVE checks that every old version reads the new data', () => {
    const v4 = type(record([field('id', 'string')]));
    const withQty = [
      { version: 1, type: v3 },
      { version: 2, type: v2 },
    ];
    expect(checkCompatibility(v4, withQty, 'FORWARD')).toEqual([]);
    expect(checkCompatibility(v4, withQty, 'FORWARD_TRANSITIVE')).toEqual([
      expect.stringMatching(/^FORWARD_TRANSITIVE: version 1 cannot read data written with the new schema/),
    ]);
  });
});

describe('the registry applies compatibility per subject and globally', () => {
  const v1 = JSON.stringify(record(base));
  const v2 = JSON.stringify(record([...base, field('qty', 'int')]));

  it('refuses an incompatible registration with the rule and field (default BACKWARD)', () => {
    const registry = SchemaRegistry.open(new EphemeralSchemaStorage());
    registry.register('orders-value', v1);
    const refused = registry.register('orders-value', v2);
    expect(refused).toMatchObject({ _tag: 'Left', left: { code: 409, status: 409 } });
    expect(refused._tag === 'Left' && refused.left.message).toMatch(
      /^Schema being registered is incompatible with an earlier schema for subject "orders-value": BACKWARD: the new schema cannot read data written with version 1: field shop\.Order\.qty/,
    );
  });

  it('a subject level overrides the global level; deleting it falls back', () => {
    const registry = SchemaRegistry.open(new EphemeralSchemaStorage());
    registry.register('orders-value', v1);
    registry.setCompatibility('NONE', 'orders-value');
    expect(registry.register('orders-value', v2)).toMatchObject({ _tag: 'Right', right: { version: 2 } });
    registry.setCompatibility('FORWARD');
    expect(registry.compatibility('orders-value')).toBe('NONE');
    expect(registry.deleteSubjectCompatibility('orders-value')).toEqual({ _tag: 'Right', right: 'NONE' });
    expect(registry.compatibility('orders-value')).toBe('FORWARD');
    expect(registry.subjectCompatibility('orders-value')).toMatchObject({ _tag: 'Left', left: { code: 40408 } });
  });

  it('knows every level and refuses unknown ones', () => {
    const registry = SchemaRegistry.open(new EphemeralSchemaStorage());
    for (const level of COMPATIBILITY_LEVELS) expect(registry.setCompatibility(level.toLowerCase())).toEqual({ _tag: 'Right', right: level });
    expect(registry.setCompatibility('SIDEWAYS')).toMatchObject({ _tag: 'Left', left: { code: 42203, status: 422 } });
  });
});

// Each API's TypeScript request and response types against its schema: the
// property names, through arrays and structs, must be the schema's field names
// (over the versions Rill serves), and each property's type what the decoder
// makes of the field (number, string, boolean, Buffer, arrays; null when the
// field is nullable in a served version). The types are read with the TypeScript
// compiler from the `defineApi<Request, Response>(...)` call of each API module,
// one ts.Program for all of them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { FIXTURE_APIS } from './fixtures/fixture-apis';
import type { ApiDefinition, Field, FieldType, Primitive, VersionRange } from '../../../core/protocol';

const ROOT = join(__dirname, '../../..');
const APIS_DIR = join(ROOT, 'core/protocol/apis');

/**
 * A field's (or property's) shape: what its values are, in TypeScript terms
 * ('number', 'string | null', 'Buffer', '{}[]'...), and for structs their fields.
 */
interface Shape {
  kind: string;
  fields?: Map<string, Shape>;
}

function program(): ts.Program {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const apiModules = readdirSync(APIS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(APIS_DIR, f));
  // Node's Buffer, the one outside type the messages use (an unresolved Buffer | null reads as any).
  const buffer = ['buffer.d.ts', 'buffer.buffer.d.ts'].map((f) => join(ROOT, 'node_modules/@types/node', f));
  // The API modules alone (noResolve: their imports from elsewhere stay unread, a few seconds instead of a whole-project parse).
  return ts.createProgram({ rootNames: [...apiModules, ...buffer], options: { ...options, noEmit: true, noResolve: true, types: [] } });
}

/** By API name: the type arguments of its defineApi<Request, Response> call. */
function declaredTypes(p: ts.Program): Map<string, { request: ts.TypeNode; response: ts.TypeNode }> {
  const found = new Map<string, { request: ts.TypeNode; response: ts.TypeNode }>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineApi' && node.typeArguments?.length === 2) {
      const spec = node.arguments[0];
      const name =
        spec && ts.isObjectLiteralExpression(spec) ? spec.properties.find((pr) => pr.name && ts.isIdentifier(pr.name) && pr.name.text === 'name') : undefined;
      if (name && ts.isPropertyAssignment(name) && ts.isStringLiteral(name.initializer)) {
        found.set(name.initializer.text, { request: node.typeArguments[0], response: node.typeArguments[1] });
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const file of p.getSourceFiles()) if (file.fileName.startsWith(APIS_DIR)) visit(file);
  return found;
}

function typeShape(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): Shape {
  // An optional property (undefined) is one the encoder fills with the schema's default.
  const members = type.isUnion() ? type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)) : [type];
  const present = members.filter((t) => !(t.flags & ts.TypeFlags.Null));
  const orNull = present.length < members.length ? ' | null' : '';
  if (present.length > 0 && present.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { kind: `boolean${orNull}` };
  if (present.length !== 1) return { kind: checker.typeToString(type) };
  const t = present[0];
  if (checker.isArrayType(t)) {
    const element = typeShape(checker, checker.getTypeArguments(t as ts.TypeReference)[0], at);
    return { kind: `${element.kind}[]${orNull}`, fields: element.fields };
  }
  if (t.flags & ts.TypeFlags.NumberLike) return { kind: `number${orNull}` };
  if (t.flags & ts.TypeFlags.StringLike) return { kind: `string${orNull}` };
  if (checker.typeToString(t).startsWith('Buffer')) return { kind: `Buffer${orNull}` };
  if (!(t.flags & ts.TypeFlags.Object)) return { kind: checker.typeToString(type) };
  const fields = new Map<string, Shape>();
  for (const property of checker.getPropertiesOfType(t))
    fields.set(property.getName(), typeShape(checker, checker.getTypeOfSymbolAtLocation(property, at), at));
  return { kind: `{}${orNull}`, fields };
}

function overlaps(r: VersionRange | undefined, served: VersionRange): boolean {
  return r !== undefined && r.min <= served.max && r.max >= served.min;
}

const TS_TYPE: Record<Primitive, string> = {
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'number',
  float64: 'number',
  bool: 'boolean',
  uuid: 'string',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
};

/** The fields of a message (or struct) over the served versions, as Rill's decoder produces them. */
function schemaShape(fields: Field[], served: VersionRange): Map<string, Shape> {
  const shape = new Map<string, Shape>();
  for (const f of fields) {
    if (!overlaps(f.versions, served)) continue;
    const value = valueShape(f.type, served);
    const orNull = overlaps(f.nullable, served) ? ' | null' : '';
    shape.set(f.name, { kind: value.kind + orNull, fields: value.fields });
  }
  return shape;
}

function valueShape(type: FieldType, served: VersionRange): Shape {
  switch (type.kind) {
    case 'primitive':
      return { kind: TS_TYPE[type.name] };
    case 'struct':
      return { kind: '{}', fields: schemaShape(type.fields, served) };
    case 'array': {
      const element = valueShape(type.element, served);
      return { kind: `${element.kind}[]`, fields: element.fields };
    }
  }
}

function differences(where: string, schema: Map<string, Shape>, declared: Map<string, Shape>, out: string[]): string[] {
  for (const [name, field] of schema) {
    const property = declared.get(name);
    if (!property) out.push(`${where}.${name} is in the schema, not in the type`);
    else if (field.kind !== property.kind) out.push(`${where}.${name} is ${field.kind} in the schema, ${property.kind} in the type`);
    else if (field.fields && property.fields) differences(`${where}.${name}`, field.fields, property.fields, out);
  }
  for (const name of declared.keys()) if (!schema.has(name)) out.push(`${where}.${name} is in the type, not in the schema`);
  return out;
}

const p = program();
const checker = p.getTypeChecker();
const declared = declaredTypes(p);

test('every API module declares its request and response types in defineApi<Request, Response>', () => {
  expect(FIXTURE_APIS.filter((api) => !declared.has(api.name)).map((api) => api.name)).toEqual([]);
});

describe.each(FIXTURE_APIS.map((api) => [api.name, api] as const))('%s', (name, api: ApiDefinition) => {
  test.each(['request', 'response'] as const)("the %s type has exactly the schema's fields", (kind) => {
    const node = declared.get(name)![kind];
    const shape = typeShape(checker, checker.getTypeFromTypeNode(node), node);
    expect(shape.kind).toBe('{}');
    expect(differences(`${name} ${kind} ${node.getText()}`, schemaShape(api[kind].fields, api.versions), shape.fields!, [])).toEqual([]);
  });
});

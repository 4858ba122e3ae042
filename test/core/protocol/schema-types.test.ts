// Each API's TypeScript request and response types against its schema: the
// property names, through arrays and structs, must be the schema's field names
// (over the versions Rill serves). The types are read with the TypeScript
// compiler from the `defineApi<Request, Response>(...)` call of each API module,
// one ts.Program for all of them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { APIS } from '../../../core/protocol';
import type { ApiDefinition, Field, FieldType, VersionRange } from '../../../core/protocol';

const ROOT = join(__dirname, '../../..');
const APIS_DIR = join(ROOT, 'core/protocol/apis');

/** A message's shape: field (or property) names, each with the shape of its struct, or null for a value. */
type Shape = Map<string, Shape | null>;

function program(): ts.Program {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const rootNames = readdirSync(APIS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(APIS_DIR, f));
  // The API modules alone (noResolve: their imports from elsewhere stay unread, a few seconds instead of a whole-project parse).
  return ts.createProgram({ rootNames, options: { ...options, noEmit: true, noResolve: true, types: [] } });
}

/** By API name: the type arguments of its defineApi<Request, Response> call. */
function declaredTypes(p: ts.Program): Map<string, { request: ts.TypeNode; response: ts.TypeNode }> {
  const found = new Map<string, { request: ts.TypeNode; response: ts.TypeNode }>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineApi' && node.typeArguments?.length === 2) {
      const spec = node.arguments[0];
      const name = spec && ts.isObjectLiteralExpression(spec) ? spec.properties.find((pr) => pr.name && ts.isIdentifier(pr.name) && pr.name.text === 'name') : undefined;
      if (name && ts.isPropertyAssignment(name) && ts.isStringLiteral(name.initializer)) {
        found.set(name.initializer.text, { request: node.typeArguments[0], response: node.typeArguments[1] });
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const file of p.getSourceFiles()) if (file.fileName.startsWith(APIS_DIR)) visit(file);
  return found;
}

function typeShape(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): Shape | null {
  const present = type.isUnion() ? type.types.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))) : [type];
  if (present.length !== 1) return null;
  const t = present[0];
  if (checker.isArrayType(t)) return typeShape(checker, checker.getTypeArguments(t as ts.TypeReference)[0], at);
  if (!(t.flags & ts.TypeFlags.Object) || t.getSymbol()?.getName() === 'Buffer') return null;
  const shape: Shape = new Map();
  for (const property of checker.getPropertiesOfType(t)) shape.set(property.getName(), typeShape(checker, checker.getTypeOfSymbolAtLocation(property, at), at));
  return shape;
}

function overlaps(r: VersionRange, served: VersionRange): boolean {
  return r.min <= served.max && r.max >= served.min;
}

function schemaShape(fields: Field[], served: VersionRange): Shape {
  const shape: Shape = new Map();
  for (const f of fields) {
    if (!overlaps(f.versions, served)) continue;
    const struct = structOf(f.type);
    const inner = struct ? schemaShape(struct, served) : null;
    const seen = shape.get(f.name);
    // One name at two version ranges (rare): the union of both shapes.
    shape.set(f.name, seen && inner ? new Map([...seen, ...inner]) : (seen ?? inner));
  }
  return shape;
}

function structOf(type: FieldType): Field[] | undefined {
  if (type.kind === 'struct') return type.fields;
  if (type.kind === 'array') return structOf(type.element);
  return undefined;
}

function differences(where: string, schema: Shape, declared: Shape, out: string[]): string[] {
  for (const [name, inner] of schema) {
    if (!declared.has(name)) {
      out.push(`${where}.${name} is in the schema, not in the type`);
      continue;
    }
    const typed = declared.get(name)!;
    if ((inner === null) !== (typed === null)) out.push(`${where}.${name} is ${inner ? 'a struct' : 'a value'} in the schema, ${typed ? 'an object' : 'a value'} in the type`);
    else if (inner && typed) differences(`${where}.${name}`, inner, typed, out);
  }
  for (const name of declared.keys()) if (!schema.has(name)) out.push(`${where}.${name} is in the type, not in the schema`);
  return out;
}

const p = program();
const checker = p.getTypeChecker();
const declared = declaredTypes(p);

test('every API module declares its request and response types in defineApi<Request, Response>', () => {
  expect(APIS.filter((api) => !declared.has(api.name)).map((api) => api.name)).toEqual([]);
});

describe.each(APIS.map((api) => [api.name, api] as const))('%s', (name, api: ApiDefinition) => {
  test.each(['request', 'response'] as const)("the %s type has exactly the schema's fields", (kind) => {
    const node = declared.get(name)![kind];
    const shape = typeShape(checker, checker.getTypeFromTypeNode(node), node);
    expect(shape).not.toBeNull();
    expect(differences(`${name} ${kind} ${node.getText()}`, schemaShape(api[kind].fields, api.versions), shape!, [])).toEqual([]);
  });
});

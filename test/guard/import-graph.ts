// The repository's own source files and what each imports and exports, read with the
// TypeScript parser (syntax only, no type check: the whole repo parses in about a second).
// Shared by test/architecture.test.ts (folder rules, cycles) and the unused-exports check.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(__dirname, '../..');

/** The folders (and root files) that hold the repo's code, as tsconfig.json's "include" lists them. */
const SOURCE_ROOTS = ['core', 'dsl', 'connectors', 'cli', 'console', 'examples', 'bench', 'test', 'index.ts'];
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
/** A string that may name a source file by its repo path. */
const MENTIONED_PATH = /^(\.\/)?[\w.-]+(\/[\w.-]+)*\.[cm]?[jt]s$/;
/** How a relative specifier without an extension is completed, in Node16 + ts order. */
const RESOLVE_SUFFIXES = ['', '.ts', '.js', '.cjs', '.mjs', '.json', '/index.ts', '/index.js'];
/** The package's own name: `import ... from '@rill-streams/rill'` (README snippets, examples) means the root index.ts. */
const PACKAGE_NAME = '@rill-streams/rill';

/** The name that stands for every export of a module (`export * as ns from`). */
export const WHOLE_MODULE = '*';

/** A name taken from another file, and the name it goes by here (the local name, or the exported one for a re-export). */
export interface Binding {
  readonly name: string;
  readonly as: string;
}

/** One import of another repo file. `names` is undefined when the whole module is taken (namespace, require, import()). */
export interface ImportEdge {
  /** Repo-relative path with '/' separators. */
  readonly to: string;
  readonly specifier: string;
  /** 1-based line of the import statement, for messages. */
  readonly line: number;
  readonly typeOnly: boolean;
  /** Names taken from the target; undefined = all of them. */
  readonly names: readonly Binding[] | undefined;
  /** Re-exported from this file (`export ... from`), so the names pass through to whoever imports this file. */
  readonly reexport: boolean;
  /** `export * from`: every name of the target passes through. */
  readonly star: boolean;
}

export interface SourceFile {
  /** Repo-relative path with '/' separators. */
  readonly file: string;
  readonly imports: readonly ImportEdge[];
  /** Names this file declares and exports itself (not re-exports), with the line of each. */
  readonly exports: ReadonlyMap<string, number>;
  /** How often each identifier occurs in the file, to tell an export used in its own file. */
  readonly identifierCounts: ReadonlyMap<string, number>;
  /** Repo files this file names in a string (`'--pipeline', 'bench/cluster-pipeline.ts'`, `path.join(ROOT, 'cli/main.ts')`): run or loaded by path. */
  readonly pathMentions: readonly string[];
}

/** Every source file of the repo (repo-relative, sorted), skipping node_modules, build output and fixtures' data. */
export function listSourceFiles(root = ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const top of SOURCE_ROOTS) {
    const full = path.join(root, top);
    if (!fs.existsSync(full)) continue;
    if (fs.statSync(full).isDirectory()) walk(full);
    else out.push(full);
  }
  return out.map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
}

/** The repo file a specifier names, or undefined for a package outside the repo (or a path that does not exist). */
function resolveSpecifier(fromFile: string, specifier: string, root: string): string | undefined {
  let base: string;
  if (specifier === PACKAGE_NAME) base = path.join(root, 'index');
  else if (specifier.startsWith('.')) base = path.resolve(path.dirname(path.join(root, fromFile)), specifier);
  else return undefined;
  for (const suffix of RESOLVE_SUFFIXES) {
    const candidate = base + suffix;
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(root, candidate).split(path.sep).join('/');
  }
  // Node16 ESM style: './x.js' written for './x.ts'.
  if (/\.[cm]?js$/.test(base)) {
    const ts = base.replace(/\.([cm]?)js$/, '.$1ts');
    if (fs.existsSync(ts)) return path.relative(root, ts).split(path.sep).join('/');
  }
  return undefined;
}

function modifierKinds(node: ts.Node): ts.SyntaxKind[] {
  return ts.canHaveModifiers(node) ? (ts.getModifiers(node) ?? []).map((m) => m.kind) : [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** Parses one file: its imports of repo files, its own exports, its identifier counts. */
export function readSourceFile(file: string, root = ROOT): SourceFile {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const imports: ImportEdge[] = [];
  // Not named `exports`: compiled to CommonJS, that local would hide the module's own
  // `exports` object, and WHOLE_MODULE (read as exports.WHOLE_MODULE) came out undefined.
  const exported = new Map<string, number>();
  const identifierCounts = new Map<string, number>();
  const pathMentions: string[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const addImport = (node: ts.Node, specifier: string, edge: Omit<ImportEdge, 'to' | 'specifier' | 'line'>): void => {
    const to = resolveSpecifier(file, specifier, root);
    if (to !== undefined) imports.push({ to, specifier, line: lineOf(node), ...edge });
  };

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      const typeOnly = clause?.isTypeOnly ?? false;
      let names: Binding[] | undefined = [];
      if (clause?.name) names.push({ name: 'default', as: clause.name.text });
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names = undefined;
      else if (bindings) names.push(...bindings.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, as: e.name.text })));
      const allTypes =
        typeOnly ||
        (bindings !== undefined &&
          ts.isNamedImports(bindings) &&
          !clause?.name &&
          bindings.elements.length > 0 &&
          bindings.elements.every((e) => e.isTypeOnly));
      addImport(statement, statement.moduleSpecifier.text, { typeOnly: allTypes, names, reexport: false, star: false });
    } else if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        // `export *` passes every name through; `export * as ns from` passes the whole module ('*') as ns.
        let names: Binding[] | undefined;
        if (clause && ts.isNamedExports(clause)) names = clause.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, as: e.name.text }));
        else if (clause) names = [{ name: WHOLE_MODULE, as: clause.name.text }];
        addImport(statement, statement.moduleSpecifier.text, { typeOnly: statement.isTypeOnly, names, reexport: true, star: clause === undefined });
      } else if (clause && ts.isNamedExports(clause)) {
        // `export { a, b as c }` of local declarations: the exported name is what importers use.
        for (const e of clause.elements) exported.set(e.name.text, lineOf(e));
      }
    } else if (ts.isExportAssignment(statement)) {
      exported.set('default', lineOf(statement));
    } else if (modifierKinds(statement).includes(ts.SyntaxKind.ExportKeyword)) {
      if (modifierKinds(statement).includes(ts.SyntaxKind.DefaultKeyword)) exported.set('default', lineOf(statement));
      else if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) for (const n of bindingNames(d.name)) exported.set(n, lineOf(d));
      } else if (
        (ts.isFunctionDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isInterfaceDeclaration(statement) ||
          ts.isTypeAliasDeclaration(statement) ||
          ts.isEnumDeclaration(statement) ||
          ts.isModuleDeclaration(statement)) &&
        statement.name &&
        ts.isIdentifier(statement.name)
      ) {
        exported.set(statement.name.text, lineOf(statement));
      }
    }
  }

  // Imports that can sit anywhere: require('./x'), import('./x'), and types written as import('./x').Name.
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) identifierCounts.set(node.text, (identifierCounts.get(node.text) ?? 0) + 1);
    if (ts.isStringLiteralLike(node) && MENTIONED_PATH.test(node.text)) {
      const mentioned = node.text.replace(/^\.\//, '');
      if (fs.existsSync(path.join(root, mentioned))) pathMentions.push(mentioned);
    }
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      if (isRequire || isDynamicImport) addImport(node, node.arguments[0].text, { typeOnly: false, names: undefined, reexport: false, star: false });
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      const qualifier = node.qualifier;
      const first = qualifier === undefined ? undefined : ts.isIdentifier(qualifier) ? qualifier.text : leftmost(qualifier);
      addImport(node, node.argument.literal.text, {
        typeOnly: true,
        names: first === undefined ? undefined : [{ name: first, as: first }],
        reexport: false,
        star: false,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { file, imports, exports: exported, identifierCounts, pathMentions };
}

function leftmost(name: ts.QualifiedName): string {
  let left: ts.EntityName = name;
  while (ts.isQualifiedName(left)) left = left.left;
  return left.text;
}

/** Every source file of the repo, parsed. */
export function readRepo(root = ROOT): Map<string, SourceFile> {
  return new Map(listSourceFiles(root).map((file) => [file, readSourceFile(file, root)]));
}

/**
 * The strongly connected components with more than one file (or a file importing itself) of
 * a directed graph: each one is an import cycle. Tarjan's algorithm, iterative so deep graphs
 * do not overflow the stack. Components and their members come out sorted, so the result is
 * stable and can be compared with a stored list.
 */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; edges: string[]; i: number }[] = [];
    const open = (node: string): void => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: [...(graph.get(node) ?? [])].sort(), i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.i < frame.edges.length) {
        const to = frame.edges[frame.i++];
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(to) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && (graph.get(component[0])?.has(component[0]) ?? false);
        if (component.length > 1 || selfLoop) found.push(component.sort());
      }
    }
  }
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

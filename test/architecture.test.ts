// The module map of DESIGN.md, checked: every folder is a module with the dependencies
// test/guard/architecture-rules.json allows it (subfolders included), a module with a door is
// entered through its index.ts, dependencies point one way, and no import cycle exists between
// files or between folders. Today's breaches of the target are listed in the rules file's
// "known" section (to be removed by #15): anything new fails, and so does a known entry that
// no longer happens, so the list only shrinks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, cycles, readRepo, type SourceFile } from './guard/import-graph';
import rulesFile from './guard/architecture-rules.json';

interface ModuleRule {
  readonly allow: readonly string[];
  readonly door?: boolean;
  readonly why: string;
}
interface Rules {
  readonly modules: Readonly<Record<string, ModuleRule>>;
  readonly known: { readonly imports: readonly string[]; readonly fileCycles: readonly string[][]; readonly folderCycles: readonly string[][] };
}
const rules: Rules = rulesFile;
const MODULES = Object.keys(rules.modules);
/** The folders whose every subfolder must have a rule of its own. */
const RULED_TREES = ['core', 'dsl', 'connectors', 'cli', 'console'];
const ANYTHING = '*';

/** The deepest listed module holding a repo file ('.' for the root's own files), or undefined. */
function moduleOf(file: string): string | undefined {
  if (!file.includes('/')) return rules.modules['.'] ? '.' : undefined;
  let best: string | undefined;
  for (const m of MODULES) if (m !== '.' && file.startsWith(`${m}/`) && (best === undefined || m.length > best.length)) best = m;
  return best;
}

const isInside = (module: string, other: string): boolean => other === module || (module !== '.' && other.startsWith(`${module}/`));
const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.');

/** A module's index.ts importing its own subfolders: the door re-exporting its parts, not a dependency. */
function isDoorEdge(from: string, to: string): boolean {
  const fromModule = moduleOf(from);
  const toModule = moduleOf(to);
  return (
    fromModule !== undefined && toModule !== undefined && path.posix.basename(from) === 'index.ts' && toModule !== fromModule && isInside(fromModule, toModule)
  );
}

/** Folder-level breaches of the rules, as 'from -> to' (one line per pair of modules), with the files that make each. */
function ruleBreaches(repo: ReadonlyMap<string, SourceFile>): Map<string, string[]> {
  const breaches = new Map<string, string[]>();
  const add = (key: string, where: string): void => {
    breaches.set(key, [...(breaches.get(key) ?? []), where]);
  };
  for (const source of repo.values()) {
    const from = moduleOf(source.file);
    if (from === undefined) continue;
    const allowed = rules.modules[from].allow;
    if (allowed.includes(ANYTHING)) continue;
    for (const edge of source.imports) {
      const to = moduleOf(edge.to);
      const where = `${source.file}:${edge.line} imports '${edge.specifier}'`;
      if (to === undefined) {
        add(`${from} -> ${edge.to} (a file outside every module)`, where);
        continue;
      }
      if (to === from || isDoorEdge(source.file, edge.to)) continue;
      if (!allowed.includes(to)) add(`${from} -> ${to}`, where);
      else if (rules.modules[to].door && !isInside(to, from) && edge.to !== `${to}/index.ts`) add(`${from} -> ${to} (not through ${to}/index.ts)`, where);
    }
  }
  return breaches;
}

function fileGraph(repo: ReadonlyMap<string, SourceFile>): Map<string, Set<string>> {
  return new Map([...repo.values()].map((s) => [s.file, new Set(s.imports.map((i) => i.to))]));
}

/**
 * Folders as nodes, an edge wherever a file imports a file of another folder. Door edges aside,
 * and test files too: nothing imports a test, so a test that borrows a helper from another
 * test folder layers nothing on anything.
 */
function folderGraph(repo: ReadonlyMap<string, SourceFile>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const source of repo.values()) {
    if (source.file.endsWith('.test.ts')) continue;
    const from = folderOf(source.file);
    for (const edge of source.imports) {
      const to = folderOf(edge.to);
      if (to === from || isDoorEdge(source.file, edge.to)) continue;
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
      if (!graph.has(to)) graph.set(to, new Set());
    }
  }
  return graph;
}

/** Compares what happens with what is known: new ones and stale known ones, as messages. */
function againstKnown(found: readonly string[], known: readonly string[], what: string): string[] {
  return [
    ...found.filter((f) => !known.includes(f)).map((f) => `new ${what}: ${f}`),
    ...known.filter((k) => !found.includes(k)).map((k) => `known ${what} no longer happens, remove it from the rules file's "known" list: ${k}`),
  ];
}

const repo = readRepo();

test('the rules themselves point one way: the allowed dependencies between modules have no cycle', () => {
  const allowGraph = new Map(MODULES.map((m) => [m, new Set(rules.modules[m].allow.filter((a) => a !== ANYTHING))]));
  const unknown = [...allowGraph].flatMap(([m, allowed]) =>
    [...allowed].filter((a) => !rules.modules[a]).map((a) => `${m} allows '${a}', which is not a module`),
  );
  expect(unknown).toEqual([]);
  expect(cycles(allowGraph)).toEqual([]);
});

test('every folder of core/, dsl/, connectors/ and cli/ with source files has a rule of its own', () => {
  const folders = new Set([...repo.keys()].map(folderOf).filter((f) => RULED_TREES.some((t) => isInside(t, f))));
  expect([...folders].filter((f) => !rules.modules[f]).sort()).toEqual([]);
});

test('modules import only what the rules allow, through the door (index.ts) where the target has one', () => {
  const breaches = ruleBreaches(repo);
  const problems = againstKnown([...breaches.keys()].sort(), rules.known.imports, 'dependency against the rules');
  // Name the files that make each new breach, so the message says what to change.
  const explained = problems.map((p) => {
    const key = p.replace(/^new dependency against the rules: /, '');
    return p === key ? p : `${p}\n    ${(breaches.get(key) ?? []).join('\n    ')}`;
  });
  expect(explained).toEqual([]);
});

test('no import cycle between files, type-only imports included', () => {
  const found = cycles(fileGraph(repo)).map((c) => c.join(' <-> '));
  expect(
    againstKnown(
      found,
      rules.known.fileCycles.map((c) => c.join(' <-> ')),
      'import cycle between files',
    ),
  ).toEqual([]);
});

test('no import cycle between folders', () => {
  const found = cycles(folderGraph(repo)).map((c) => c.join(' <-> '));
  expect(
    againstKnown(
      found,
      rules.known.folderCycles.map((c) => c.join(' <-> ')),
      'import cycle between folders',
    ),
  ).toEqual([]);
});

test('the cycle finder finds a cycle through several files and ignores a chain', () => {
  // The checks above are only as good as this: a 3-file ring and a self-import are found, a chain is not.
  const graph = new Map<string, Set<string>>([
    ['a.ts', new Set(['b.ts'])],
    ['b.ts', new Set(['c.ts'])],
    ['c.ts', new Set(['a.ts', 'd.ts'])],
    ['d.ts', new Set(['e.ts'])],
    ['e.ts', new Set()],
    ['self.ts', new Set(['self.ts'])],
  ]);
  expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['self.ts']]);
});

test('every source file is read: the import graph sees the files the folders hold', () => {
  // A guard against the checks above passing on an empty or partial graph.
  const onDisk = fs.readdirSync(path.join(ROOT, 'core/log')).filter((f) => f.endsWith('.ts'));
  expect(onDisk.length).toBeGreaterThan(5);
  for (const f of onDisk) expect(repo.has(`core/log/${f}`)).toBe(true);
  expect(repo.get('core/log/index.ts')?.imports.length).toBeGreaterThan(0);
});

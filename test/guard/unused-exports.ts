// Exports nobody uses: `npm run lint` runs this (biome does not look across files for it).
//
// An export counts as used when another repo file imports it (by name, or the whole module
// through `import * as`, require() or import()), directly or through any chain of re-exports
// (`export { x } from`, `export * from`, the index.ts doors), or when its own file uses it too
// (then only the `export` word is spare, which is harmless). Everything the package's root
// index.ts exports is the public API and counts as used, and so does every export of a file that
// no repo file imports or that some file names by its path in a string: such a file is run or
// loaded by path (a test, a bench, an example's main, a pipeline for `rill worker --pipeline`).
//
// Today's unused exports are listed in unused-exports-known.json, to be removed by #15: the run
// fails on a new one and on a listed one that is no longer there, so the list only shrinks.
//
// Usage: node -r ./test/support/register-ts.js test/guard/unused-exports.ts [--write-known]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WHOLE_MODULE, readRepo, type SourceFile } from './import-graph';

/** The package's public API: everything it exports is used, by the package's users. */
const PUBLIC_API = ['index.ts'];
const KNOWN_FILE = path.join(__dirname, 'unused-exports-known.json');

interface KnownList {
  readonly _readme: string;
  readonly exports: readonly string[];
}

/** Walks imports and re-exports from every file, marking each export reached. */
export class UsageTracker {
  private readonly used = new Map<string, Set<string>>();
  private readonly whollyUsed = new Set<string>();

  constructor(private readonly repo: ReadonlyMap<string, SourceFile>) {}

  isUsed(file: string, name: string): boolean {
    return this.whollyUsed.has(file) || (this.used.get(file)?.has(name) ?? false);
  }

  /** `name` as `file` exports it is used: its own declaration, or whatever it re-exports under that name. */
  useName(file: string, name: string): void {
    if (name === WHOLE_MODULE) {
      this.useAll(file);
      return;
    }
    const names = this.used.get(file) ?? new Set<string>();
    if (names.has(name) || this.whollyUsed.has(file)) return;
    this.used.set(file, names.add(name));
    const source = this.repo.get(file);
    if (source === undefined || source.exports.has(name)) return;
    for (const edge of source.imports) {
      if (!edge.reexport) continue;
      if (edge.star) this.useName(edge.to, name);
      else for (const b of edge.names ?? []) if (b.as === name) this.useName(edge.to, b.name);
    }
  }

  /** Every export of `file` is used, its re-exports included. */
  useAll(file: string): void {
    if (this.whollyUsed.has(file)) return;
    this.whollyUsed.add(file);
    const source = this.repo.get(file);
    if (source === undefined) return;
    for (const edge of source.imports) {
      if (!edge.reexport) continue;
      if (edge.names === undefined) this.useAll(edge.to);
      else for (const b of edge.names) this.useName(edge.to, b.name);
    }
  }

  /** What every file's imports take from others. */
  useImports(): void {
    for (const source of this.repo.values()) {
      for (const edge of source.imports) {
        if (edge.reexport) continue; // a re-export uses nothing by itself: only what its importers take through it
        if (edge.names === undefined) this.useAll(edge.to);
        else for (const b of edge.names) this.useName(edge.to, b.name);
      }
    }
  }
}

/** 'file#name' for every export nobody uses, sorted. */
export function unusedExports(repo: ReadonlyMap<string, SourceFile>, publicApi: readonly string[] = PUBLIC_API): string[] {
  const tracker = new UsageTracker(repo);
  const imported = new Set([...repo.values()].flatMap((s) => s.imports.map((i) => i.to)));
  for (const file of publicApi) tracker.useAll(file);
  for (const file of repo.keys()) if (!imported.has(file)) tracker.useAll(file);
  for (const source of repo.values()) for (const file of source.pathMentions) tracker.useAll(file);
  tracker.useImports();
  const unused: string[] = [];
  for (const source of repo.values()) {
    for (const name of source.exports.keys()) {
      const usedInOwnFile = (source.identifierCounts.get(name) ?? 0) > 1;
      if (!tracker.isUsed(source.file, name) && !usedInOwnFile) unused.push(`${source.file}#${name}`);
    }
  }
  return unused.sort();
}

function main(): void {
  const started = Date.now();
  const found = unusedExports(readRepo());
  const known: KnownList = JSON.parse(fs.readFileSync(KNOWN_FILE, 'utf8'));
  if (process.argv.includes('--write-known')) {
    fs.writeFileSync(KNOWN_FILE, `${JSON.stringify({ _readme: known._readme, exports: found }, null, 2)}\n`);
    console.log(`unused exports: wrote ${found.length} to ${path.relative(process.cwd(), KNOWN_FILE)}`);
    return;
  }
  const fresh = found.filter((f) => !known.exports.includes(f));
  const gone = known.exports.filter((k) => !found.includes(k));
  for (const f of fresh) console.error(`unused export: ${f.replace('#', ': ')} (nothing imports it: drop the export, or the code)`);
  for (const g of gone) console.error(`known unused export no longer unused, remove it from ${path.relative(process.cwd(), KNOWN_FILE)}: ${g}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (fresh.length + gone.length > 0) {
    console.error(`unused exports: ${fresh.length} new, ${gone.length} stale known entries (${seconds} s)`);
    process.exitCode = 1;
  } else {
    console.log(`unused exports: none new (${known.exports.length} known, to be removed by #15; ${seconds} s)`);
  }
}

if (require.main === module) main();

// Loading the pipeline a `rill worker` runs: a module (.js, .cjs, or .ts) that
// exports a function building a DSL topology. The function is called with the
// application id (--app) and returns the Topology (or a promise of it); it is
// found as the `pipeline` export, else the default export. A module exporting
// a built Topology under those names works too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import type { Topology } from '../dsl';

/** The shape of a Topology (checked by shape: the module may hold its own copy of the DSL). */
function isTopology(x: unknown): x is Topology {
  const t = x as Partial<Topology> | null;
  return (
    t !== null &&
    typeof t === 'object' &&
    typeof t.applicationId === 'string' &&
    t.sources instanceof Map &&
    Array.isArray(t.stores) &&
    typeof t.describe === 'function'
  );
}

/**
 * `.ts` files need a loader: the one the process was started with (node -r
 * ./test/support/register-ts.js), else a transpile-only one built on the
 * `typescript` package when it is installed.
 */
function ensureTsLoader(): E.Either<string, void> {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const extensions = require.extensions as Record<string, unknown>;
  if (extensions['.ts'] !== undefined) return E.right(undefined);
  let ts: typeof import('typescript');
  try {
    ts = require('typescript') as typeof import('typescript');
  } catch {
    return E.left('a .ts pipeline needs the "typescript" package (npm install typescript) or a compiled .js file');
  }
  extensions['.ts'] = (module: { _compile(code: string, file: string): void }, filename: string) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    });
    module._compile(outputText, filename);
  };
  return E.right(undefined);
}

/**
 * Loads the pipeline module at `file` (relative to `cwd`) and builds the topology of application `app`;
 * with no `app`, the function is called without one (the pipeline's own default id).
 */
export async function loadPipeline(file: string, app: string | undefined, cwd = process.cwd()): Promise<E.Either<string, Topology>> {
  const full = path.resolve(cwd, file);
  if (!fs.existsSync(full)) return E.left(`pipeline file ${full} does not exist (--pipeline ${file})`);
  if (!fs.statSync(full).isFile()) return E.left(`pipeline ${full} is not a file (--pipeline ${file})`);
  if (/\.(c|m)?tsx?$/.test(full) && !full.endsWith('.d.ts')) {
    const loader = ensureTsLoader();
    if (E.isLeft(loader)) return loader;
  }
  let mod: Record<string, unknown>;
  try {
    mod = require(full) as Record<string, unknown>;
  } catch (e) {
    return E.left(`cannot load pipeline ${full}: ${(e as Error).message}`);
  }
  const candidates = [
    ['pipeline', mod.pipeline],
    ['default', mod.default],
  ] as const;
  const found = candidates.find(([, v]) => typeof v === 'function' || isTopology(v));
  if (found === undefined) {
    const names = Object.keys(mod);
    return E.left(
      `pipeline ${full} exports no pipeline: export a function \`pipeline(app)\` (or a default export) that returns the application's Topology; ` +
        `it exports ${names.length > 0 ? names.join(', ') : 'nothing'}`,
    );
  }
  const [name, value] = found;
  let built: unknown;
  try {
    built = typeof value === 'function' ? await (value as (app: string | undefined) => unknown)(app) : value;
  } catch (e) {
    return E.left(`the ${name} export of ${full} failed to build the topology: ${(e as Error).message}`);
  }
  if (!isTopology(built)) return E.left(`the ${name} export of ${full} did not return a Topology (build one with new StreamsBuilder(app) ... .build())`);
  if (app !== undefined && built.applicationId !== app) {
    return E.left(
      `the pipeline in ${full} builds application "${built.applicationId}" but --app is "${app}": pass --app ${built.applicationId}, or build the topology with the application id it is given`,
    );
  }
  if (built.inputTopics.length === 0) return E.left(`the pipeline in ${full} reads no topic: a worker's tasks are the partitions of its input topics`);
  return E.right(built);
}

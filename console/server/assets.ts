// The browser code the console serves. The package carries it prebuilt
// (`npm run build` bundles console/ui with rollup into dist/console/console.js,
// beside dist/cli.cjs); run from the TypeScript sources (tests, `node -r
// register-ts cli/main.ts`) the server bundles console/ui itself on first
// request, with the same rollup, transpiling only (the typecheck and the
// build check the types). Nothing is ever loaded from elsewhere at run time.
import * as fs from 'node:fs';
import * as path from 'node:path';

const FROM_SOURCES = __filename.endsWith('.ts');
const UI_ENTRY = path.join(__dirname, '..', 'ui', 'main.ts');
/** Where `npm run build` puts the bundle, relative to the bundled CLI. */
const BUILT_BUNDLE = path.join(__dirname, 'console', 'console.js');

let bundle: Promise<string> | undefined;

/** The UI's JavaScript (bundled once per process). */
export function uiBundle(): Promise<string> {
  bundle ??= FROM_SOURCES ? bundleSources() : fs.promises.readFile(BUILT_BUNDLE, 'utf8');
  // A failed bundle is tried again on the next request (and its error shown meanwhile).
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

async function bundleSources(): Promise<string> {
  // Development dependencies, loaded only when running from the sources. require(), not import(): a dynamic
  // import() stays one in CommonJS output, which jest's module system refuses without its ESM flag.
  const { rollup } = require('rollup') as typeof import('rollup');
  const ts = require('typescript') as typeof import('typescript');
  const build = await rollup({
    input: UI_ENTRY,
    plugins: [
      {
        name: 'console-ts-sources',
        resolveId(source, importer) {
          if (importer === undefined || !source.startsWith('.')) return null;
          const base = path.resolve(path.dirname(importer), source);
          return [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => fs.existsSync(f) && fs.statSync(f).isFile()) ?? null;
        },
        transform(code, id) {
          if (!id.endsWith('.ts')) return null;
          return ts.transpileModule(code, { fileName: id, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 } }).outputText;
        },
      },
    ],
  });
  try {
    const { output } = await build.generate({ format: 'iife' });
    return output[0].code;
  } finally {
    await build.close();
  }
}

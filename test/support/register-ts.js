// Lets a child process started by a test run the TypeScript sources directly:
// `node -r ./test/support/register-ts.js some-script.ts`. Transpile only (the
// typecheck runs separately), CommonJS output, like ts-jest does for the tests.
//
// Transpiled files are cached on disk by a hash of their source (and of this
// loader's options), so the many processes of a cluster test do not each load
// the TypeScript compiler and transpile the same files again: on a loaded
// 2-core machine that is the difference between seconds and tens of seconds to start.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CACHE_VERSION = 'v1-cjs-es2022';
const cacheDir = path.join(os.tmpdir(), `rill-ts-cache-${process.getuid ? process.getuid() : 'u'}`);
let ts;

function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  }).outputText;
}

function cached(source, filename) {
  const key = crypto.createHash('sha1').update(CACHE_VERSION).update('\0').update(filename).update('\0').update(source).digest('hex');
  const file = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // not cached yet
  }
  const output = transpile(source, filename);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Write then rename: a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs time
  }
  return output;
}

require.extensions['.ts'] = function registerTs(module, filename) {
  module._compile(cached(fs.readFileSync(filename, 'utf8'), filename), filename);
};

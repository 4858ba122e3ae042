// Lets a child process started by a test run the TypeScript sources directly:
// `node -r ./test/support/register-ts.js some-script.ts`. Transpile only (the
// typecheck runs separately), CommonJS output, like ts-jest does for the tests.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function registerTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  module._compile(outputText, filename);
};

// Builds the library (ESM + CJS), the `rill` command, and one bundled .d.ts.
const typescript = require('@rollup/plugin-typescript');
const { dts } = require('rollup-plugin-dts');

const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
const ts = () => typescript({ tsconfig: './tsconfig.build.json', outDir: 'dist', rootDir: '.' });

module.exports = [
  {
    input: 'index.ts',
    external,
    plugins: [ts()],
    output: [
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true },
      {
        file: 'dist/index.mjs',
        format: 'es',
        sourcemap: true,
        // fp-ts has no exports map and its es6 build is not Node-ESM: import its CommonJS files by name.
        paths: (id) => (id.startsWith('fp-ts/') ? `${id.replace('fp-ts/', 'fp-ts/lib/')}.js` : id),
        // Optional native helpers (e.g. @node-rs/crc32) are loaded with require().
        banner: "import { createRequire as __rillCreateRequire } from 'node:module';\nconst require = __rillCreateRequire(import.meta.url);",
      },
    ],
  },
  {
    input: 'cli/main.ts',
    external,
    plugins: [ts()],
    output: { file: 'dist/cli.cjs', format: 'cjs', sourcemap: true, banner: '#!/usr/bin/env node' },
  },
  {
    input: 'index.ts',
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];

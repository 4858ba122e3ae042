// Builds the library (ESM + CJS), the `rill` command, one bundled .d.ts, and the web console's browser code.
const typescript = require('@rollup/plugin-typescript');
const { dts } = require('rollup-plugin-dts');
const path = require('node:path');

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
  {
    // The console's page script (plain DOM code, no packages): served by `rill console` and --console-port from
    // dist/console/console.js, beside dist/cli.cjs (console/server/assets.ts). Type-checked against the DOM here.
    input: 'console/ui/main.ts',
    // Absolute directories: this tsconfig sits in console/ui, and relative ones would be read from there.
    plugins: [typescript({ tsconfig: './console/ui/tsconfig.json', outDir: path.resolve('dist/console'), rootDir: path.resolve('.'), noEmitOnError: true })],
    output: { file: 'dist/console/console.js', format: 'iife' },
  },
];

// The unused-exports check on a small repo of its own: what it must find, and what it must not.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRepo } from './import-graph';
import { unusedExports } from './unused-exports';

function repoOf(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-unused-exports-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function unusedIn(files: Record<string, string>): string[] {
  const root = repoOf(files);
  roots.push(root);
  return unusedExports(readRepo(root));
}

test('an export that no file imports is found; one imported by name, through a door, is not', () => {
  expect(
    unusedIn({
      'core/log/parts.ts': 'export const used = 1;\nexport const unused = 2;\nexport function alsoUnused(): void {}\n',
      'core/log/index.ts': "export { used, unused } from './parts';\n",
      'dsl/user.ts': "import { used } from '../core/log';\nexport const total = used + 1;\n",
      'dsl/main.ts': "import { total } from './user';\nconsole.log(total);\n",
    }),
  ).toEqual(['core/log/parts.ts#alsoUnused', 'core/log/parts.ts#unused']);
});

test('the public API (the root index.ts), star re-exports and aliases count as use', () => {
  expect(
    unusedIn({
      'index.ts': "export * from './core/log';\n",
      'core/log/index.ts': "export * from './a';\nexport { b as renamed } from './b';\n",
      'core/log/a.ts': 'export interface A { x: number }\n',
      'core/log/b.ts': 'export const b = 1;\nexport const c = 2;\n',
    }),
  ).toEqual(['core/log/b.ts#c']);
});

test('an export used in its own file, a namespace import, require() and a file named by its path count as use', () => {
  expect(
    unusedIn({
      'core/a.ts': 'export const x = 1;\nexport const y = x + 1;\n',
      'core/b.ts': 'export const z = 1;\n',
      'core/c.ts': 'export const w = 1;\n',
      'core/pipeline.ts': "export const pipeline = 1;\nexport const INPUT = 'in';\n",
      'test/t.test.ts': [
        "import * as b from '../core/b';",
        "import { y } from '../core/a';",
        "const c = require('../core/c');",
        "import { INPUT } from '../core/pipeline';",
        "const args = ['--pipeline', 'core/pipeline.ts'];",
        'console.log(b, y, c, INPUT, args);',
        '',
      ].join('\n'),
    }),
  ).toEqual([]);
});

test('a namespace re-export (`export * as ns from`) passes every export of its module to whoever imports ns', () => {
  expect(
    unusedIn({
      'core/protocol/index.ts': "export * as apis from './apis/public';\n",
      'core/protocol/apis/public.ts': "export { fetchByName as fetch } from './fetch';\nexport type { FetchResponse } from './fetch';\n",
      'core/protocol/apis/fetch.ts': 'export const fetchByName = 1;\nexport interface FetchResponse { x: number }\nexport const unused = 2;\n',
      'core/client/reader.ts': "import { apis } from '../protocol';\nexport const r: apis.FetchResponse = { x: apis.fetch };\n",
      'core/client/main.ts': "import { r } from './reader';\nconsole.log(r);\n",
    }),
  ).toEqual(['core/protocol/apis/fetch.ts#unused']);
});

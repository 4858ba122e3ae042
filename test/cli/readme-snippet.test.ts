// Issue 20 item 14 (the README part): the README's "embedded log in a few
// lines" runs as written and ends, twice in a row on the same directory (the
// topic is not created twice, the data directory is released). The block is
// read from README.md, its import pointed at the sources, and run in a child
// process with a bounded lifetime.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDirs } from '../support/tmp-dir';

const ROOT = path.resolve(__dirname, '../..');
const dirs = tempDirs('readme');
afterAll(() => dirs.removeAll());

function readmeBlock(heading: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const m = /```ts\n([^]*?)```/.exec(section);
  if (!m) throw new Error(`no ts block after "${heading}"`);
  return m[1];
}

test("README's embedded-log snippet runs and ends, twice on one directory", () => {
  const work = dirs.make();
  const code = readmeBlock('## The embedded log in a few lines')
    .replace("import { Rill } from '@rill-streams/rill';", `const { Rill } = require(${JSON.stringify(path.join(ROOT, 'index.ts'))});`)
    .replace("'./data'", JSON.stringify(path.join(work, 'data')));
  const file = path.join(work, 'snippet.ts');
  fs.writeFileSync(file, `(async () => {\n${code}\n})().catch((e) => { console.error(e); process.exit(1); });\n`);
  for (const run of [1, 2]) {
    const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test/support/register-ts.js'), file], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });
    expect({ run, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ run, status: 0, stdout: 'alice {"total":42}\n', stderr: '' });
  }
});

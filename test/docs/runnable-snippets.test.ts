// Issue 20 item 14: every code block of README.md and docs/ that claims to run
// does run. A block claims it with the info string "ts run"; an HTML comment
// right after it, "<!-- prints:" up to "-->", is its exact output. Each block
// runs as written, twice on one data directory (a second run must not trip
// over what the first left: a topic already there, a lock not released), with
// the package's name pointed at the sources, './data' at a fresh directory,
// and its top-level awaits inside an async function: a child process with a
// bounded lifetime that must exit 0 with nothing on stderr.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDirs } from '../support/tmp-dir';
import { stderrComplaints } from '../support/stderr-complaints';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = '@rill-streams/rill';
const dirs = tempDirs('snippets');
afterAll(() => dirs.removeAll());

interface Snippet {
  /** page:line of the block. */
  readonly where: string;
  readonly code: string;
  readonly prints: string | undefined;
}

function pages(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).map((f) => `docs/${f}`);
  return ['README.md', ...docs].filter((f) => f.endsWith('.md')).sort();
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const page of pages()) {
    const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/^```ts run\n([\s\S]*?)^```\n(?:<!-- prints:\n([\s\S]*?)-->\n)?/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ where: `${page}:${line}`, code: m[1], prints: m[2] });
    }
  }
  return out;
}

/** The block as a CommonJS-compatible script: its imports first, the rest in an async function. */
function script(code: string, work: string): string {
  const lines = code
    .replaceAll(`'${PACKAGE}'`, JSON.stringify(path.join(ROOT, 'index.ts')))
    .replaceAll("'./data", `'${work}/data`)
    .split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return `${imports.join('\n')}\n(async () => {\n${body.join('\n')}\n})().catch((e) => {\n  console.error(e);\n  process.exit(1);\n});\n`;
}

const found = snippets();

test('the runnable blocks are found: the README, the client, log and DSL guides', () => {
  expect(found.map((s) => s.where.split(':')[0])).toEqual(expect.arrayContaining(['README.md', 'docs/client.md', 'docs/dsl.md', 'docs/log.md']));
});

test.each(found.map((s) => [s.where, s] as const))('%s runs, twice on one directory', (_where, snippet) => {
  const work = dirs.make();
  const file = path.join(work, 'snippet.ts');
  fs.writeFileSync(file, script(snippet.code, work));
  for (const run of [1, 2]) {
    const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test/support/register-ts.js'), file], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });
    expect({ run, status: r.status, signal: r.signal, stderr: stderrComplaints(r.stderr) }).toEqual({ run, status: 0, signal: null, stderr: '' });
    if (snippet.prints !== undefined) expect(r.stdout).toBe(snippet.prints);
  }
});

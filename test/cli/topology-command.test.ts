// `rill topology` as a real process: loads a pipeline module as `rill worker`
// does and prints its topology as Mermaid, DOT, SVG or text.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { wordCountTopology } from '../../examples/wordcount/topology';

const ROOT = path.join(__dirname, '..', '..');

function rill(...args: string[]) {
  const r = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('prints the pipeline as Mermaid, DOT, SVG and text: what the topology itself renders', () => {
  const expected = wordCountTopology('wc');
  const mermaid = rill('topology', '--pipeline', 'examples/wordcount/pipeline.ts', '--app', 'wc', '--format', 'mermaid');
  expect(mermaid).toEqual({ code: 0, out: `${expected.toMermaid()}\n`, err: '' });
  const dot = rill('topology', '--pipeline', 'examples/wordcount/pipeline.ts', '--app', 'wc', '--format', 'dot');
  expect(dot).toEqual({ code: 0, out: `${expected.toDot()}\n`, err: '' });
  const svg = rill('topology', '--pipeline', 'examples/wordcount/pipeline.ts', '--app', 'wc', '--format', 'svg');
  expect(svg).toEqual({ code: 0, out: expected.toSvg(), err: '' });
  // No --app: the pipeline's own default id; text by default.
  const text = rill('topology', '--pipeline', 'examples/wordcount/pipeline.ts');
  expect(text).toEqual({ code: 0, out: `${wordCountTopology().describe()}\n`, err: '' });
});

test('a format it cannot draw is a usage error; a missing file a failure naming it', () => {
  const png = rill('topology', '--pipeline', 'examples/wordcount/pipeline.ts', '--format', 'png');
  expect(png.code).toBe(2);
  expect(png.err).toContain('--format must be one of text, mermaid, dot, svg, got "png"');
  const missing = rill('topology', '--pipeline', 'no/such.ts');
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/pipeline file .*no\/such\.ts does not exist/);
});

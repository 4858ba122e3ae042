// `rill worker` in-process: its usage errors, and the clear errors for a
// missing pipeline file, a module without the expected export, a pipeline
// for another application, and controllers that cannot be reached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { runWorker } from '../../cli/worker-command';
import { loadPipeline } from '../../cli/worker-pipeline';
import { freePortPair } from '../core/cluster/process/process-cluster';
import { tempDirs } from '../support/tmp-dir';
import { fakeIO } from './fake-io';

const dirs = tempDirs('worker-cli');
afterAll(() => dirs.removeAll());

const ROOT = path.resolve(__dirname, '../..');
const WORDCOUNT = path.join(ROOT, 'examples/wordcount/pipeline.ts');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIO();
  const code = await runWorker(args, io, new AbortController().signal);
  return { code, out: io.out(), err: io.err() };
}

const base = (pipeline: string, app = 'wordcount') => ['--app', app, '--pipeline', pipeline, '--controllers', '1@127.0.0.1:1', '--brokers', '127.0.0.1:1'];

describe('rill worker', () => {
  it('explains its usage', async () => {
    expect((await run(['--help'])).out).toMatch(/rill worker --app APP --pipeline FILE/);
    const missing = await run(['--pipeline', WORDCOUNT]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--app APP is required/);
    const badControllers = await run([...base(WORDCOUNT).slice(0, 4), '--controllers', 'nope', '--brokers', 'h:1']);
    expect(badControllers.code).toBe(2);
    expect(badControllers.err).toMatch(/--controllers: "nope" is not ID@HOST:PORT/);
    const badBrokers = await run([...base(WORDCOUNT).slice(0, 6), '--brokers', 'no-port']);
    expect(badBrokers.code).toBe(2);
    expect(badBrokers.err).toMatch(/"no-port" is not HOST:PORT/);
  });

  it('refuses a bad --query-port or --application-server', async () => {
    const port = await run([...base(WORDCOUNT), '--query-port', '70000']);
    expect({ code: port.code, err: port.err }).toEqual({ code: 2, err: expect.stringMatching(/--query-port needs a port number, 0 to 65535/) });
    const server = await run([...base(WORDCOUNT), '--query-port', '0', '--application-server', 'no-port']);
    expect({ code: server.code, err: server.err }).toEqual({ code: 2, err: expect.stringMatching(/--application-server: "no-port" is not HOST:PORT/) });
    expect((await run(['--help'])).out).toMatch(/--query-port PORT[\s\S]*--application-server HOST:PORT/);
  });

  it('reads TLS and SASL for its broker connections from --command-config, and refuses a bad one', async () => {
    const file = path.join(dirs.make(), 'worker.properties');
    fs.writeFileSync(file, 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=worker\n');
    const r = await run([...base(WORDCOUNT), '--command-config', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('SASL needs sasl.username and sasl.password');
    expect((await run(['--help'])).out).toContain('--command-config');
  });

  it('says so when the pipeline file does not exist', async () => {
    const r = await run(base('./no/such/pipeline.ts'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipeline file .*no\/such\/pipeline\.ts does not exist \(--pipeline \.\/no\/such\/pipeline\.ts\)/);
  });

  it('says what the module exports when it has no pipeline', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'not-a-pipeline.ts');
    fs.writeFileSync(file, 'export const answer = 42;\nexport function helper(): number { return 1; }\n');
    const r = await run(base(file));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /exports no pipeline: export a function `pipeline\(app\)` \(or a default export\) that returns the application's Topology; it exports answer, helper/,
    );

    const wrong = path.join(dir, 'wrong.js');
    fs.writeFileSync(wrong, 'module.exports = { pipeline: () => ({ not: "a topology" }) };\n');
    expect((await run(base(wrong))).err).toMatch(/the pipeline export of .*wrong\.js did not return a Topology/);

    const throws = path.join(dir, 'throws.js');
    fs.writeFileSync(throws, 'exports.default = () => { throw new Error("boom"); };\n');
    expect((await run(base(throws))).err).toMatch(/the default export of .*throws\.js failed to build the topology: boom/);

    const broken = path.join(dir, 'broken.js');
    fs.writeFileSync(broken, 'this is not javascript\n');
    expect((await run(base(broken))).err).toMatch(/cannot load pipeline .*broken\.js/);
  });

  it('loads the wordcount example, built for the application it is given', async () => {
    const loaded = await loadPipeline(WORDCOUNT, 'wc-7');
    expect(E.isRight(loaded) && loaded.right.applicationId).toBe('wc-7');
    expect(E.isRight(loaded) && loaded.right.inputTopics).toEqual(['text-lines']);

    const dir = dirs.make();
    const fixed = path.join(dir, 'fixed.ts');
    fs.writeFileSync(
      fixed,
      `import { wordCountTopology } from '${path.join(ROOT, 'examples/wordcount/topology')}';\nexport default () => wordCountTopology('wordcount');\n`,
    );
    const r = await run(base(fixed, 'other'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/builds application "wordcount" but --app is "other": pass --app wordcount/);
  });

  it('names the controllers when none can be reached', async () => {
    const port = await freePortPair(new Set());
    const r = await run([
      '--app',
      'wordcount',
      '--pipeline',
      WORDCOUNT,
      '--controllers',
      `1@127.0.0.1:${port}`,
      '--brokers',
      '127.0.0.1:1',
      '--join-timeout-ms',
      '600',
      '--worker-id',
      'w1',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`rill worker: cannot join: worker w1 of wordcount could not join through the controllers 1@127.0.0.1:${port} within 600 ms`),
    );
  });
});

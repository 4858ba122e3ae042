// The broker process's heap growing factor (cli/broker-heap.ts): the default,
// the environment override, a node flag winning over both, a bad value refused
// with a clear error before the broker starts, and the V8 flag being one this
// node knows (a node that dropped it would refuse to start with it).
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { brokerHeapSetting, DEFAULT_HEAP_GROWING_PERCENT, HEAP_GROWING_PERCENT_ENV } from '../../cli/broker-heap';

const ROOT = path.join(__dirname, '..', '..');

describe('brokerHeapSetting', () => {
  it('sets the default factor when nothing overrides it', () => {
    expect(brokerHeapSetting({}, [])).toEqual({ kind: 'set', percent: DEFAULT_HEAP_GROWING_PERCENT });
    expect(brokerHeapSetting({ [HEAP_GROWING_PERCENT_ENV]: ' ' }, [])).toEqual({ kind: 'set', percent: DEFAULT_HEAP_GROWING_PERCENT });
  });

  it('takes the environment variable, 0 leaving V8 its own factor', () => {
    expect(brokerHeapSetting({ [HEAP_GROWING_PERCENT_ENV]: '150' }, [])).toEqual({ kind: 'set', percent: 150 });
    expect(brokerHeapSetting({ [HEAP_GROWING_PERCENT_ENV]: '0' }, [])).toEqual({ kind: 'v8-default' });
  });

  it('leaves a factor given on the node command line alone, whatever the environment says', () => {
    expect(brokerHeapSetting({ [HEAP_GROWING_PERCENT_ENV]: '150' }, ['--heap-growing-percent=50'])).toEqual({
      kind: 'node-flag',
      flag: '--heap-growing-percent=50',
    });
    expect(brokerHeapSetting({}, ['--heap_growing_percent=20'])).toEqual({ kind: 'node-flag', flag: '--heap_growing_percent=20' });
  });

  it.each(['abc', '-5', '1.5', '20000'])('refuses %j with the variable named', (raw) => {
    expect(() => brokerHeapSetting({ [HEAP_GROWING_PERCENT_ENV]: raw }, [])).toThrow(`${HEAP_GROWING_PERCENT_ENV}=${JSON.stringify(raw)}`);
  });
});

describe('the V8 flag', () => {
  it('is known to this node (an unknown flag makes node refuse to start)', () => {
    expect(execFileSync(process.execPath, [`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`, '-e', 'process.stdout.write("up")']).toString()).toBe(
      'up',
    );
    expect(spawnSync(process.execPath, ['--heap-growing-percent-not-a-flag=1', '-e', '']).status).not.toBe(0);
  });
});

describe('rill broker', () => {
  it('refuses a bad override before it starts, naming it', () => {
    const r = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', 'broker', '--data-dir', '/nonexistent/never-created'], {
      cwd: ROOT,
      env: { ...process.env, [HEAP_GROWING_PERCENT_ENV]: 'lots' },
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toContain(`rill broker: ${HEAP_GROWING_PERCENT_ENV}="lots"`);
  });
});

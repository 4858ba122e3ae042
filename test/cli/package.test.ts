// Issue 20 items 12 and 15: the package carries the license it declares, under
// a name of its own (the command stays `rill`), ships the docs its README links
// to, needs kafkajs and ioredis only for the code that uses them; and the
// single broker binds where cluster nodes do (loopback) unless told.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDirs } from '../support/tmp-dir';
import { completeSettings } from '../../cli/broker-config';
import { CLUSTER_HELP } from '../../cli/cluster-command';
import { stderrComplaints } from '../support/stderr-complaints';

const ROOT = path.resolve(__dirname, '../..');

test('LICENSE is the Apache License 2.0 that package.json names', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.license).toBe('Apache-2.0');
  const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  expect(text).toContain('END OF TERMS AND CONDITIONS');
});

test('the single broker and cluster nodes both listen on 127.0.0.1 by default', () => {
  expect(completeSettings({ dataDir: '/d' })).toMatchObject({ host: '127.0.0.1', schemaRegistryHost: '127.0.0.1' });
  expect(CLUSTER_HELP).toMatch(/--host ADDR +listen address \(default 127\.0\.0\.1\)/);
});

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('the package is @rill-streams/rill (npm\'s "rill" is an unrelated router), and its command is rill', () => {
  expect(pkg.name).toBe('@rill-streams/rill');
  expect(Object.keys(pkg.bin)).toEqual(['rill']);
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('npm install @rill-streams/rill');
});

/** Whether `file` (relative to the root) is in the package: named by "files", or always included by npm. */
function shipped(file: string): boolean {
  if (['package.json', 'README.md', 'LICENSE'].includes(file)) return true;
  return (pkg.files as string[]).some((entry) => file === entry || file.startsWith(`${entry}/`));
}

test('every relative link of README.md and docs/ points at a file the package ships', () => {
  const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith('.md'),
  );
  const broken: string[] = [];
  for (const page of pages) {
    for (const [, target] of fs.readFileSync(path.join(ROOT, page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const file = path.posix.normalize(path.posix.join(path.posix.dirname(page), target));
      if (!shipped(file) || !fs.existsSync(path.join(ROOT, file))) broken.push(`${page} -> ${target}`);
    }
  }
  expect(pages.length).toBeGreaterThan(5);
  expect(broken).toEqual([]);
});

test('kafkajs and ioredis are optional peers: an embedded pipeline runs without them, and the code that needs one names it', () => {
  expect(pkg.dependencies.kafkajs).toBeUndefined();
  expect(pkg.dependencies.ioredis).toBeUndefined();
  expect(pkg.peerDependenciesMeta).toEqual({ ioredis: { optional: true }, kafkajs: { optional: true } });
  const dirs = tempDirs('no-peers');
  try {
    const r = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', 'test/cli/fixtures/without-optional-peers.ts', dirs.make()], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect({ status: r.status, stderr: stderrComplaints(r.stderr) }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.split('\n').filter((l) => l.length > 0)).toEqual([
      'embedded: HELLO',
      'the "kafkajs" package is not installed, and the kafkajs LogClient (kafkaLogClient) needs it: npm install kafkajs',
      'the "ioredis" package is not installed, and redisConnection (the Redis connectors) needs it: npm install ioredis',
    ]);
  } finally {
    dirs.removeAll();
  }
});

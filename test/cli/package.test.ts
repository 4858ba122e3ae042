// Issue 20 items 12 and 15: the package carries the license it declares, and
// the single broker binds where cluster nodes do (loopback) unless told.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeSettings } from '../../cli/broker-config';
import { CLUSTER_HELP } from '../../cli/cluster-command';

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

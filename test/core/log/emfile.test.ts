// A real EMFILE (a child process under `ulimit -n 100` whose free descriptors
// were all taken): segment files are still opened — idle ones are closed to make
// room — every record reads back, and the warning is logged once, not per open.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

test('out of descriptors: logs close idle segment files and go on, with one warning', () => {
  const root = path.resolve(__dirname, '../../..');
  const out = execFileSync('bash', ['-c', 'ulimit -n 100 && exec node -r ./test/support/register-ts.js test/core/log/emfile-child.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 50_000,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  expect(r.emfile).toBe(true);
  expect(r.readBack).toBe(60);
  expect(r.openAfter).toBeGreaterThan(0);
  expect(r.warnings.length).toBeGreaterThanOrEqual(1);
  expect(r.warnings.length).toBeLessThanOrEqual(3);
  expect(r.warnings[0]).toContain('out of file descriptors (EMFILE)');
});

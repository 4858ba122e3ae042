// The module map of DESIGN.md, checked: a folder is a module whose index.ts is its
// only door, and dependencies point one way.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** Which modules each module may import (through their index.ts). */
const ALLOWED: Record<string, string[]> = {
  'core/wire': [],
  'core/log': ['core/wire'],
  'core/raft': ['core/wire', 'core/log'],
  'core/schema': ['core/wire', 'core/log'],
  'core/broker': ['core/wire', 'core/log'],
  'core/protocol': ['core/wire', 'core/log', 'core/broker'],
  'core/client': ['core/wire', 'core/log', 'core/broker', 'core/protocol', 'core/schema'],
  'core/cluster': ['core/wire', 'core/log', 'core/raft', 'core/broker', 'core/protocol', 'core/client', 'core/schema'],
  dsl: ['core/log', 'core/schema', 'core/client'],
  connectors: ['core/log', 'core/schema', 'core/client', 'dsl'],
  cli: ['core/log', 'core/schema', 'core/broker', 'core/protocol', 'core/client', 'core/raft', 'core/cluster', 'dsl', 'connectors'],
};
const MODULES = Object.keys(ALLOWED);

function moduleOf(file: string): string | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  return MODULES.find((m) => rel === m || rel.startsWith(m + '/'));
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|require\(\s*['"](\.[^'"]+)['"]\s*\)/g;

test('modules import each other only through index.ts, in the directions DESIGN.md allows', () => {
  const violations: string[] = [];
  for (const mod of MODULES) {
    for (const file of sourceFiles(path.join(ROOT, mod))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2];
        const target = path.resolve(path.dirname(file), spec);
        const targetModule = moduleOf(target);
        if (!targetModule || targetModule === mod) continue;
        const where = `${path.relative(ROOT, file)} imports '${spec}'`;
        if (!ALLOWED[mod].includes(targetModule)) violations.push(`${where}: ${mod} may not depend on ${targetModule}`);
        else if (path.relative(ROOT, target).split(path.sep).join('/') !== targetModule) {
          violations.push(`${where}: go through ${targetModule}/index.ts`);
        }
      }
    }
  }
  expect(violations).toEqual([]);
});

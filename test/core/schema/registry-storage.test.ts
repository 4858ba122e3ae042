import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogCleaner, PartitionLog } from '../../../core/log';
import {
  confluentAvroSerde,
  defineAvroSchema,
  FileSchemaStorage,
  LogSchemaStorage,
  openSchemaRegistry,
  orThrow,
  SchemaRegistry,
  type SchemaStorage,
} from '../../../core/schema';
import { tempDirs } from '../../support/tmp-dir';

const Event = defineAvroSchema({ type: 'record', name: 'Event', fields: [{ name: 'a', type: 'string' }] });
const EventV2 = defineAvroSchema({
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'a', type: 'string' },
    { name: 'b', type: 'int', default: 0 },
  ],
});

const dirs = tempDirs('schema');
let dir: string;
beforeEach(() => {
  dir = dirs.make();
});
afterEach(() => dirs.removeAll());

/** Builds some history: two subjects, a soft and a hard delete, configs. */
function populate(registry: SchemaRegistry): Buffer {
  const bytes = orThrow(confluentAvroSerde({ registry, schema: Event, topic: 'events' }).serialize({ a: 'x' }));
  registry.register('events-value', EventV2.text);
  registry.register('other-value', '"string"');
  registry.register('gone-value', '"long"');
  registry.deleteSubject('gone-value');
  registry.deleteSubject('gone-value', true);
  registry.register('other-value', '"bytes"');
  registry.deleteVersion('other-value', 2);
  registry.setCompatibility('FULL');
  registry.setCompatibility('NONE', 'other-value');
  return bytes;
}

function schemaText(registry: SchemaRegistry, id: number): string | undefined {
  const found = registry.schemaById(id);
  return found._tag === 'Right' ? found.right.schema : undefined;
}

function snapshot(registry: SchemaRegistry) {
  return {
    subjects: registry.subjects(),
    events: registry.versions('events-value'),
    latest: registry.version('events-value', 'latest'),
    other: registry.versions('other-value'),
    softDeletedId: schemaText(registry, 5),
    hardDeletedId: schemaText(registry, 4),
    global: registry.compatibility(),
    subject: registry.subjectCompatibility('other-value'),
  };
}

describe.each([
  ['the _schemas partition log', (d: string): SchemaStorage => LogSchemaStorage.open(path.join(d, '_schemas-0'))],
  ['the standalone registry file', (d: string): SchemaStorage => FileSchemaStorage.open(path.join(d, 'schemas.rill'))],
])('a registry on %s survives a restart', (_name, openStorage) => {
  it('rebuilds subjects, versions, ids, deletes and configs, and keeps assigning ids after them', () => {
    const before = SchemaRegistry.open(openStorage(dir));
    const bytes = populate(before);
    const expected = snapshot(before);
    before.close();

    const after = SchemaRegistry.open(openStorage(dir));
    expect(snapshot(after)).toEqual(expected);
    expect(expected.subjects).toEqual(['events-value', 'other-value']);
    expect(expected.softDeletedId).toBe('"bytes"');
    expect(expected.hardDeletedId).toBeUndefined();
    // Records written before the restart still decode, with evolution.
    const reader = confluentAvroSerde({ registry: after, schema: EventV2, topic: 'events' });
    expect(orThrow(reader.deserialize(bytes))).toEqual({ a: 'x', b: 0 });
    // The same schema keeps its id; a new one gets a fresh id.
    expect(after.register('events-value', Event.text)).toEqual({ _tag: 'Right', right: { id: 1, version: 1 } });
    expect(after.register('new-value', '"double"')).toEqual({ _tag: 'Right', right: { id: 6, version: 1 } });
    after.close();
  });
});

it('a registry replays its log after compaction removed superseded records and tombstones', () => {
  const logDir = path.join(dir, '_schemas-0');
  const config = { 'cleanup.policy': 'compact', 'delete.retention.ms': 0, 'min.cleanable.dirty.ratio': 0 };
  const log = PartitionLog.open(logDir, config);
  const registry = SchemaRegistry.open(new LogSchemaStorage(log));
  populate(registry);
  const expected = snapshot(registry);
  log.roll();
  const cleaned = new LogCleaner().clean(log, Date.now() + 24 * 3600 * 1000);
  expect(cleaned.recordsRemoved + cleaned.tombstonesRemoved).toBeGreaterThan(0);
  log.close();

  const reopened = SchemaRegistry.open(new LogSchemaStorage(PartitionLog.open(logDir, config), true));
  expect(snapshot(reopened)).toEqual(expected);
  reopened.close();
});

it('openSchemaRegistry stores the registry in a compacted log', () => {
  const registry = openSchemaRegistry(dir);
  registry.register('t-value', '"string"');
  registry.close();
  expect(fs.readdirSync(dir).some((name) => name.endsWith('.log'))).toBe(true);
  const reopened = openSchemaRegistry(dir);
  expect(reopened.versions('t-value')).toEqual({ _tag: 'Right', right: [1] });
  reopened.close();
});

it('the registry file tolerates a torn tail: every complete record before it survives', () => {
  const file = path.join(dir, 'schemas.rill');
  const registry = SchemaRegistry.open(FileSchemaStorage.open(file));
  registry.register('a-value', '"string"');
  const sizeAfterFirst = fs.statSync(file).size;
  registry.register('b-value', '"long"');
  registry.close();
  const full = fs.readFileSync(file);
  for (const cut of [sizeAfterFirst + 3, full.length - 1]) {
    fs.writeFileSync(file, full.subarray(0, cut));
    const reopened = SchemaRegistry.open(FileSchemaStorage.open(file));
    expect(reopened.subjects()).toEqual(['a-value']);
    expect(fs.statSync(file).size).toBe(sizeAfterFirst); // the torn record is cut away
    expect(reopened.register('c-value', '"int"')).toEqual({ _tag: 'Right', right: { id: 2, version: 1 } });
    reopened.close();
  }
  // A flipped bit in the last record fails its CRC: same recovery.
  const damaged = Buffer.from(full);
  damaged[damaged.length - 2] ^= 0xff;
  fs.writeFileSync(file, damaged);
  const reopened = SchemaRegistry.open(FileSchemaStorage.open(file));
  expect(reopened.subjects()).toEqual(['a-value']);
  reopened.close();
});

import { EphemeralSchemaStorage, RegistryErrorCode, SchemaRegistry } from '../../../core/schema';

const schema = (fields: string[]) => JSON.stringify({ type: 'record', name: 'Event', fields: fields.map((name) => ({ name, type: 'string', default: '' })) });
const v1 = schema(['a']);
const v2 = schema(['a', 'b']);
const v3 = schema(['a', 'b', 'c']);

function right<T>(result: { _tag: 'Left'; left: { message: string } } | { _tag: 'Right'; right: T }): T {
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
}

describe('SchemaRegistry', () => {
  let registry: SchemaRegistry;
  beforeEach(() => {
    registry = SchemaRegistry.open(new EphemeralSchemaStorage());
  });

  it('gives versions per subject and ids globally', () => {
    expect(right(registry.register('events-value', v1))).toEqual({ id: 1, version: 1 });
    expect(right(registry.register('events-value', v2))).toEqual({ id: 2, version: 2 });
    expect(right(registry.register('audit-value', v2))).toEqual({ id: 2, version: 1 }); // same schema, same id
    expect(registry.subjects()).toEqual(['audit-value', 'events-value']);
    expect(right(registry.versions('events-value'))).toEqual([1, 2]);
    expect(right(registry.version('events-value', 'latest'))).toEqual({ subject: 'events-value', version: 2, id: 2, schema: v2 });
    expect(right(registry.version('events-value', 1)).id).toBe(1);
    expect(right(registry.schemaById(2)).schema).toBe(v2);
    expect(registry.subjectVersionsForId(2)).toEqual([
      { subject: 'events-value', version: 2 },
      { subject: 'audit-value', version: 1 },
    ]);
  });

  it('registering the same schema twice returns the same id and version, whatever the whitespace', () => {
    const first = right(registry.register('events-value', v1));
    const pretty = JSON.stringify(JSON.parse(v1), null, 2);
    expect(right(registry.register('events-value', pretty))).toEqual(first);
    expect(right(registry.versions('events-value'))).toEqual([1]);
    expect(right(registry.lookup('events-value', pretty))).toMatchObject({ version: 1, id: first.id });
  });

  it('answers lookups of unknown things with the Confluent error codes', () => {
    registry.register('events-value', v1);
    expect(registry.versions('nope')).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.subjectNotFound, status: 404 } });
    expect(registry.version('events-value', 9)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.versionNotFound } });
    expect(registry.version('events-value', 0)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.invalidVersion, status: 422 } });
    expect(registry.schemaById(42)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.schemaNotFound, message: 'Schema 42 not found' } });
    expect(registry.lookup('events-value', v2)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.schemaNotFound } });
  });

  it('refuses invalid schemas, other schema types and references', () => {
    expect(registry.register('x', '{"type":"record","name":"R","fields":[{"name":"f","type":"nope"}]}')).toMatchObject({
      _tag: 'Left',
      left: { code: RegistryErrorCode.invalidSchema, message: expect.stringMatching(/Invalid Avro schema: undefined type name: nope/) },
    });
    expect(registry.register('x', '{"type":"object"}', { schemaType: 'JSON' })).toMatchObject({ _tag: 'Left', left: { code: 42201 } });
    expect(registry.register('x', v1, { references: [{ name: 'a', subject: 'b', version: 1 }] })).toMatchObject({ _tag: 'Left', left: { code: 42201 } });
  });

  it('soft-deletes a version: hidden, version number not reused, id still readable', () => {
    registry.register('events-value', v1);
    registry.register('events-value', v2);
    expect(right(registry.deleteVersion('events-value', 2))).toBe(2);
    expect(right(registry.versions('events-value'))).toEqual([1]);
    expect(right(registry.schemaById(2)).schema).toBe(v2); // old records still decode
    expect(registry.deleteVersion('events-value', 2)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.versionSoftDeleted } });
    expect(right(registry.register('events-value', v3))).toEqual({ id: 3, version: 3 });
  });

  it('hard-deletes a version only after a soft delete; the id is then gone', () => {
    registry.register('events-value', v1);
    registry.register('events-value', v2);
    expect(registry.deleteVersion('events-value', 2, true)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.versionNotSoftDeleted } });
    right(registry.deleteVersion('events-value', 2));
    expect(right(registry.deleteVersion('events-value', 2, true))).toBe(2);
    expect(registry.schemaById(2)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.schemaNotFound } });
    expect(right(registry.register('events-value', v3))).toEqual({ id: 3, version: 2 }); // ids are not reused
  });

  it('soft- then hard-deletes a subject', () => {
    registry.register('events-value', v1);
    registry.register('events-value', v2);
    registry.setCompatibility('FULL', 'events-value');
    expect(registry.deleteSubject('events-value', true)).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.subjectNotSoftDeleted } });
    expect(right(registry.deleteSubject('events-value'))).toEqual([1, 2]);
    expect(registry.subjects()).toEqual([]);
    expect(registry.deleteSubject('events-value')).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.subjectSoftDeleted } });
    expect(right(registry.schemaById(1)).schema).toBe(v1);
    expect(right(registry.deleteSubject('events-value', true))).toEqual([1, 2]);
    expect(registry.schemaById(1)).toMatchObject({ _tag: 'Left' });
    expect(registry.subjectCompatibility('events-value')).toMatchObject({ _tag: 'Left', left: { code: 40408 } });
    expect(registry.deleteSubject('events-value')).toMatchObject({ _tag: 'Left', left: { code: RegistryErrorCode.subjectNotFound } });
  });

  it('skips soft-deleted versions in compatibility checks', () => {
    const incompatible = JSON.stringify({ type: 'record', name: 'Event', fields: [{ name: 'x', type: 'int' }] });
    registry.register('events-value', v1);
    expect(registry.register('events-value', incompatible)).toMatchObject({ _tag: 'Left', left: { code: 409 } });
    right(registry.deleteSubject('events-value'));
    expect(right(registry.register('events-value', incompatible))).toEqual({ id: 2, version: 2 });
  });

  it('tests compatibility against a version without registering', () => {
    registry.register('events-value', v1);
    const incompatible = JSON.stringify({ type: 'record', name: 'Event', fields: [{ name: 'x', type: 'int' }] });
    expect(right(registry.testCompatibility('events-value', v2))).toEqual({ compatible: true, messages: [] });
    const verdict = right(registry.testCompatibility('events-value', incompatible, 1));
    expect(verdict.compatible).toBe(false);
    expect(verdict.messages[0]).toMatch(/field Event\.x: the reader has field 'x' without a default/);
    expect(right(registry.versions('events-value'))).toEqual([1]);
  });
});

// ACL records of the metadata log: their bytes round-trip, the image applies
// them (an ACL twice is kept once, a missing one is not removed), snapshots
// carry them, and the controller's alterAcls proposes only what changes.
import * as E from 'fp-ts/Either';
import { alterAcls, checkAlterAcls } from '../../../../core/cluster/controller/acl-admin';
import { decodeRecord, encodeRecord } from '../../../../core/cluster/metadata/codec';
import { MetadataImage } from '../../../../core/cluster/metadata/image';
import type { AclEntry } from '../../../../core/cluster/metadata/records';

const ACL: AclEntry = { resourceType: 2, resourceName: 'orders', patternType: 4, principal: 'User:alice', host: '*', operation: 3, permission: 3 };

test('ACL records round-trip through the codec', () => {
  for (const type of ['AccessControlEntry', 'RemoveAccessControlEntry'] as const) {
    const record = { type, ...ACL, resourceName: 'ördérs-é' };
    expect(decodeRecord(encodeRecord(record))).toEqual(E.right(record));
  }
});

test('the image applies ACL records, and its snapshot carries them', () => {
  const image = new MetadataImage();
  expect(image.apply({ type: 'AccessControlEntry', ...ACL })).toEqual({ applied: true });
  expect(image.apply({ type: 'AccessControlEntry', ...ACL }).applied).toBe(false);
  expect(image.hasAcl(ACL)).toBe(true);
  const restored = MetadataImage.decode(image.encode());
  expect(E.isRight(restored) && [...restored.right.acls]).toEqual([ACL]);
  const version = image.aclsVersion;
  expect(image.apply({ type: 'RemoveAccessControlEntry', ...ACL })).toEqual({ applied: true });
  expect(image.aclsVersion).toBe(version + 1);
  expect(image.apply({ type: 'RemoveAccessControlEntry', ...ACL }).applied).toBe(false);
  expect([...image.acls]).toEqual([]);
});

test('alterAcls proposes only the ACLs that change; a malformed body is refused', () => {
  const image = new MetadataImage();
  image.apply({ type: 'AccessControlEntry', ...ACL });
  const other = { ...ACL, operation: 4 };
  const d = alterAcls(image, { create: [ACL, other, other], remove: [{ ...ACL, host: '10.0.0.1' }] });
  expect(E.isRight(d) && d.right.records).toEqual([{ type: 'AccessControlEntry', ...other }]);
  expect(checkAlterAcls({ create: [{ ...ACL, operation: 300 }], remove: [] })).toMatchObject({ code: 42 });
  expect(checkAlterAcls({ create: [ACL] })).toMatchObject({ code: 42 });
  expect(checkAlterAcls({ create: [ACL], remove: [] })).toEqual({ create: [ACL], remove: [] });
});

import { KvMap } from '../../../../core/raft/server/kv-map';

describe('KvMap (the raft server’s kv state machine)', () => {
  it('overwrites keys and restores exactly the map it snapshotted', () => {
    const kv = new KvMap();
    kv.apply(KvMap.command('a', Buffer.from('1')), 1);
    kv.apply(KvMap.command('ключ', Buffer.from('два')), 2);
    expect(kv.apply(KvMap.command('a', Buffer.from('three')), 3)).toBe(3);
    kv.apply(KvMap.command('empty', Buffer.alloc(0)), 4);
    const copy = new KvMap();
    copy.restore(kv.snapshot());
    expect(copy.entries).toEqual({ a: 'three', ключ: 'два', empty: '' });
    expect(copy.snapshot()).toEqual(kv.snapshot());
  });

  it('ignores a malformed command and refuses a cut snapshot', () => {
    const kv = new KvMap();
    kv.apply(Buffer.from([0xff]), 1);
    kv.apply(Buffer.from([0x00, 0x09, 0x61]), 2);
    expect(kv.entries).toEqual({});
    kv.apply(KvMap.command('k', Buffer.from('v')), 3);
    const snap = kv.snapshot();
    expect(() => new KvMap().restore(snap.subarray(0, snap.length - 1))).toThrow(/cut short/);
  });
});

import { AppendList } from '../../../../core/raft/server/append-list';

describe('AppendList (the raft server’s demo state machine)', () => {
  it('restores exactly the values it snapshotted, empty and multi-byte ones included', () => {
    const list = new AppendList();
    for (const v of ['a', '', 'ünïcode', 'x'.repeat(5000)]) list.apply(Buffer.from(v));
    const copy = new AppendList();
    copy.restore(list.snapshot());
    expect(copy.values).toEqual(['a', '', 'ünïcode', 'x'.repeat(5000)]);
    expect(copy.apply(Buffer.from('next'))).toBe(5);
    copy.restore(Buffer.alloc(0));
    expect(copy.values).toEqual([]);
  });

  it('refuses a snapshot that is cut short or has stray bytes', () => {
    const list = new AppendList();
    list.apply(Buffer.from('hello'));
    const snap = list.snapshot();
    expect(() => new AppendList().restore(snap.subarray(0, snap.length - 1))).toThrow(/cut short/);
    expect(() => new AppendList().restore(Buffer.concat([snap, Buffer.from([1])]))).toThrow(/stray bytes/);
  });
});

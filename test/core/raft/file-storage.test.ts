import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { FileStorage } from '../../../core/raft/file-storage';
import type { Entry, HardState, Ready, Snapshot } from '../../../core/raft/types';

const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, type: 'normal', data: Buffer.from(data) });

function ready(part: { entries?: Entry[]; hardState?: HardState; snapshot?: Snapshot }): Ready {
  return {
    softState: { role: 'follower', leader: 0 },
    hardState: part.hardState,
    entries: part.entries ?? [],
    snapshot: part.snapshot,
    committedEntries: [],
    messages: [],
    readStates: [],
    sendBeforePersist: false,
  };
}

function open(dir: string): FileStorage {
  const s = FileStorage.open(dir);
  if (E.isLeft(s)) throw new Error(s.left);
  return s.right;
}

describe('FileStorage', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-raft-storage-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reopens with the hard state and entries it saved', () => {
    const s = open(dir);
    s.save(ready({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: 2, commit: 1 } }));
    s.save(ready({ entries: [entry(3, 2)], hardState: { term: 2, vote: 3, commit: 2 } }));
    s.close();
    const again = open(dir).load();
    expect(again.hardState).toEqual({ term: 2, vote: 3, commit: 2 });
    expect(again.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
  });

  it('writing index i discards stored entries >= i', () => {
    const s = open(dir);
    s.save(ready({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }));
    s.save(ready({ entries: [entry(2, 2, 'new')] }));
    s.close();
    expect(
      open(dir)
        .load()
        .entries.map((e) => e.data.toString()),
    ).toEqual(['e1', 'new']);
  });

  it('cuts a torn tail at every possible byte and keeps every whole record before it', () => {
    const s = open(dir);
    const sizes: number[] = [];
    for (let i = 1; i <= 5; i++) {
      s.save(ready({ entries: [entry(i, 1)], hardState: { term: 1, vote: 1, commit: i - 1 } }));
      sizes.push(fs.statSync(path.join(dir, 'wal')).size);
    }
    s.close();
    const full = fs.readFileSync(path.join(dir, 'wal'));
    for (let cut = 0; cut <= full.length; cut++) {
      fs.writeFileSync(path.join(dir, 'wal'), full.subarray(0, cut));
      const reopened = open(dir);
      const wholeSaves = sizes.filter((sz) => sz <= cut).length;
      const last = reopened.load().entries.at(-1)?.index ?? 0;
      // Within a save, the entries record precedes the hard state record.
      expect(last === wholeSaves || last === wholeSaves + 1).toBe(true);
      expect(fs.statSync(path.join(dir, 'wal')).size).toBeLessThanOrEqual(cut);
      expect(reopened.recovery.truncatedBytes).toBe(cut - fs.statSync(path.join(dir, 'wal')).size);
      reopened.close();
    }
  });

  it('stops at a corrupted record (bad checksum) and appends after it', () => {
    const s = open(dir);
    s.save(ready({ entries: [entry(1, 1)] }));
    const good = fs.statSync(path.join(dir, 'wal')).size;
    s.save(ready({ entries: [entry(2, 1)] }));
    s.close();
    const fd = fs.openSync(path.join(dir, 'wal'), 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, good + 10);
    fs.closeSync(fd);
    const r = open(dir);
    expect(r.load().entries.map((e) => e.index)).toEqual([1]);
    r.save(ready({ entries: [entry(2, 3)] }));
    r.close();
    expect(
      open(dir)
        .load()
        .entries.map((e) => [e.index, e.term]),
    ).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });

  it('saves in the background: done once durable; nothing to write, nothing to wait for', async () => {
    const s = open(dir);
    const durable = new Promise<Error | null>((resolve) => {
      expect(s.saveInBackground(ready({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: 1, commit: 0 } }), resolve)).toBe(true);
    });
    expect(await durable).toBeNull();
    expect(s.saveInBackground(ready({}), () => {})).toBe(false);
    const committed = new Promise<Error | null>((resolve) => {
      expect(s.saveInBackground(ready({ hardState: { term: 1, vote: 1, commit: 2 } }), resolve)).toBe(true);
    });
    expect(await committed).toBeNull();
    s.close();
    const again = open(dir).load();
    expect(again.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(again.hardState).toEqual({ term: 1, vote: 1, commit: 2 });
  });

  it('compacts in the background: the WAL keeps the covered entries and recovery skips them', async () => {
    const s = open(dir);
    s.save(ready({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)), hardState: { term: 1, vote: 1, commit: 5 } }));
    const walBefore = fs.statSync(path.join(dir, 'wal')).size;
    const snapshot = { metadata: { index: 3, term: 1, conf: { voters: [1, 2, 3], learners: [] } }, data: Buffer.from('image') };
    const durable = new Promise<Error | null>((resolve) => s.compactInBackground(snapshot, resolve));
    // Readies go on being saved while the snapshot file is written; a snapshot install waits.
    s.save(ready({ entries: [entry(6, 1)] }));
    expect(() => s.save(ready({ snapshot }))).toThrow(/while a compaction is being written/);
    expect(await durable).toBeNull();
    s.close();
    expect(fs.statSync(path.join(dir, 'wal')).size).toBeGreaterThan(walBefore);
    const st = open(dir).load();
    expect(st.snapshot?.data.toString()).toBe('image');
    expect(st.entries.map((e) => e.index)).toEqual([4, 5, 6]);
  });

  it('compaction keeps the snapshot and only the entries after it', () => {
    const s = open(dir);
    s.save(ready({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)), hardState: { term: 1, vote: 1, commit: 5 } }));
    s.compact({ metadata: { index: 3, term: 1, conf: { voters: [1, 2, 3], learners: [] } }, data: Buffer.from('image') });
    s.save(ready({ entries: [entry(6, 1)] }));
    s.close();
    const st = open(dir).load();
    expect(st.snapshot?.metadata.index).toBe(3);
    expect(st.snapshot?.data.toString()).toBe('image');
    expect(st.entries.map((e) => e.index)).toEqual([4, 5, 6]);
    expect(st.hardState.commit).toBe(5);
  });

  it('an installed snapshot replaces the whole log', () => {
    const s = open(dir);
    s.save(ready({ entries: [entry(1, 1), entry(2, 1)] }));
    s.save(
      ready({
        snapshot: { metadata: { index: 10, term: 3, conf: { voters: [1], learners: [] } }, data: Buffer.alloc(0) },
        hardState: { term: 3, vote: 0, commit: 10 },
      }),
    );
    s.close();
    const st = open(dir).load();
    expect(st.entries).toEqual([]);
    expect(st.snapshot?.metadata.index).toBe(10);
  });

  it('refuses a corrupt snapshot file with a clear error', () => {
    const s = open(dir);
    s.compact({ metadata: { index: 0, term: 0, conf: { voters: [1], learners: [] } }, data: Buffer.from('x') });
    s.close();
    fs.writeFileSync(path.join(dir, 'snapshot'), Buffer.from('garbage'));
    const r = FileStorage.open(dir);
    expect(E.isLeft(r) && r.left).toMatch(/snapshot file .* is corrupt/);
  });
});

import { createHash } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { decodeMessage, encodeMessage } from '../../../core/raft/codec';
import type { Message } from '../../../core/raft/types';

const entry = (index: number, term: number, data: string) => ({ index, term, type: 'normal' as const, data: Buffer.from(data) });

const samples: Message[] = [
  { type: 'preVote', from: 1, to: 2, term: 7, lastLogIndex: 99, lastLogTerm: 6, transfer: false },
  { type: 'vote', from: 1, to: 2, term: 7, lastLogIndex: 2 ** 40, lastLogTerm: 6, transfer: true },
  { type: 'voteResp', from: 2, to: 1, term: 7, reject: true },
  { type: 'preVoteResp', from: 2, to: 1, term: 8, reject: false },
  { type: 'append', from: 1, to: 3, term: 7, prevLogIndex: 10, prevLogTerm: 6, commit: 9, entries: [entry(11, 7, 'a'), entry(12, 7, '')] },
  { type: 'appendResp', from: 3, to: 1, term: 7, reject: true, index: 10, rejectHint: 4, hintTerm: 3 },
  { type: 'heartbeat', from: 1, to: 2, term: 7, commit: 12, context: 'read-1' },
  { type: 'heartbeatResp', from: 2, to: 1, term: 7, context: '' },
  {
    type: 'snapshot',
    from: 1,
    to: 4,
    term: 7,
    snapshot: { metadata: { index: 50, term: 6, conf: { voters: [1, 2, 3], learners: [4] } }, data: Buffer.from('state') },
  },
  { type: 'timeoutNow', from: 1, to: 2, term: 7 },
  { type: 'readIndex', from: 2, to: 1, term: 7, context: '2:1' },
  { type: 'readIndexResp', from: 1, to: 2, term: 7, context: '2:1', index: 12 },
];

describe('raft message codec', () => {
  it.each(samples.map((m) => [m.type, m]))('round-trips %s', (_t, m) => {
    expect(decodeMessage(encodeMessage(m as Message))).toEqual(E.right(m));
  });

  it('writes the bytes already in Raft logs and on the wire (pinned from the codec before it moved onto core/wire)', () => {
    const bytes = Buffer.concat(samples.map((m) => encodeMessage(m)));
    expect(bytes.length).toBe(369);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('dbab53a4887db3944fe186113044cfc187496ee692d37686c7dd538c14c6dcde');
  });

  it('rejects every truncation of a message instead of throwing', () => {
    for (const m of samples) {
      const bytes = encodeMessage(m);
      for (let n = 0; n < bytes.length; n++) expect(E.isLeft(decodeMessage(bytes.subarray(0, n)))).toBe(true);
    }
  });

  it('rejects an unknown message type and absurd list lengths without allocating them', () => {
    expect(decodeMessage(Buffer.from([200, 0, 0, 0, 1]))).toEqual(E.left('unknown message type'));
    const append = Buffer.from(encodeMessage(samples[4]));
    append.writeUInt32BE(0xffffffff, 1 + 4 + 4 + 6 + 18); // the entry count
    expect(E.isLeft(decodeMessage(append))).toBe(true);
  });

  it('survives random garbage', () => {
    let x = 12345;
    for (let k = 0; k < 2000; k++) {
      const len = k % 64;
      const buf = Buffer.alloc(len);
      for (let i = 0; i < len; i++) buf[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      expect(() => decodeMessage(buf)).not.toThrow();
    }
  });
});

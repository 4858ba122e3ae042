import { messageProblem } from '../../../core/raft/message-validation';
import type { Message } from '../../../core/raft/types';

const e = (index: number, term: number) => ({ index, term, type: 'normal' as const, data: Buffer.alloc(0) });
const append = (entries: ReturnType<typeof e>[]): Message => ({ type: 'append', from: 1, to: 2, term: 3, prevLogIndex: 5, prevLogTerm: 2, commit: 4, entries });

describe('network message validation', () => {
  it('accepts what a correct leader sends', () => {
    expect(messageProblem(append([e(6, 2), e(7, 3)]), 2)).toBeUndefined();
  });

  it('drops broken appends instead of letting them reach the core', () => {
    expect(messageProblem(append([e(7, 3)]), 2)).toBe('entries are not contiguous: expected index 6, got 7');
    expect(messageProblem(append([e(6, 4)]), 2)).toBe('entry 6 has term 4 out of order');
    expect(messageProblem(append([e(6, 1)]), 2)).toBe('entry 6 has term 1 out of order');
    expect(messageProblem(append([]), 3)).toBe('addressed to node 2, not 3');
  });
});

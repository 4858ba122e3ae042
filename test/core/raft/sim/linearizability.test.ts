import { checkKvHistory, type KvOperation } from './linearizability';

const put = (key: string, value: string, call: number, ret: number): KvOperation => ({
  key,
  call,
  ret,
  input: { kind: 'put', value },
  output: undefined,
});
const get = (key: string, output: string | undefined, call: number, ret: number): KvOperation => ({
  key,
  call,
  ret,
  input: { kind: 'get' },
  output,
});

describe('linearizability checker', () => {
  it('accepts a sequential history', () => {
    expect(checkKvHistory([put('k', '1', 1, 2), get('k', '1', 3, 4), put('k', '2', 5, 6), get('k', '2', 7, 8)])).toBeUndefined();
  });

  it('accepts a read concurrent with a write seeing either value', () => {
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, 6), get('k', '1', 4, 5)])).toBeUndefined();
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, 6), get('k', '2', 4, 5)])).toBeUndefined();
  });

  it('rejects a stale read after a completed write', () => {
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, 4), get('k', '1', 5, 6)])).toBe('k');
  });

  it('rejects reads that go back in time', () => {
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, 10), get('k', '2', 4, 5), get('k', '1', 6, 7)])).toBe('k');
  });

  it('lets a write of unknown outcome take effect late or never', () => {
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, Infinity), get('k', '1', 4, 5), get('k', '2', 6, 7)])).toBeUndefined();
    expect(checkKvHistory([put('k', '1', 1, 2), put('k', '2', 3, Infinity), get('k', '1', 4, 5)])).toBeUndefined();
  });

  it('checks keys independently', () => {
    expect(checkKvHistory([put('a', '1', 1, 2), get('b', undefined, 3, 4), get('a', '1', 5, 6)])).toBeUndefined();
    expect(checkKvHistory([put('a', '1', 1, 2), get('b', '1', 3, 4)])).toBe('b');
  });
});

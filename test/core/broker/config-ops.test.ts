// IncrementalAlterConfigs' operations on a topic's overrides (pure).
import * as E from 'fp-ts/Either';
import { applyConfigOps, ConfigOp, ErrorCode } from '../../../core/broker';

const ok = (r: ReturnType<typeof applyConfigOps>) => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const refused = (r: ReturnType<typeof applyConfigOps>) => (E.isLeft(r) ? { code: r.left.code, message: r.left.message } : undefined);

describe('applyConfigOps', () => {
  test('SET and DELETE touch only their keys', () => {
    expect(
      ok(
        applyConfigOps({ 'segment.bytes': '1024', 'retention.ms': '5' }, [
          { name: 'retention.ms', op: ConfigOp.DELETE, value: null },
          { name: 'max.message.bytes', op: ConfigOp.SET, value: '2048' },
        ]),
      ),
    ).toEqual({
      'segment.bytes': '1024',
      'max.message.bytes': '2048',
    });
  });

  test("APPEND and SUBTRACT work on the list, from the default when not overridden, in the config's order", () => {
    expect(ok(applyConfigOps({}, [{ name: 'cleanup.policy', op: ConfigOp.APPEND, value: 'compact' }]))).toEqual({ 'cleanup.policy': 'compact,delete' });
    expect(ok(applyConfigOps({ 'cleanup.policy': 'compact,delete' }, [{ name: 'cleanup.policy', op: ConfigOp.SUBTRACT, value: 'compact' }]))).toEqual({
      'cleanup.policy': 'delete',
    });
    expect(ok(applyConfigOps({ 'cleanup.policy': 'compact' }, [{ name: 'cleanup.policy', op: ConfigOp.APPEND, value: 'compact' }]))).toEqual({
      'cleanup.policy': 'compact',
    });
  });

  test('refuses what cannot apply, naming the key', () => {
    expect(refused(applyConfigOps({}, [{ name: 'retention.ms', op: ConfigOp.APPEND, value: '5' }]))).toMatchObject({
      code: ErrorCode.INVALID_CONFIG,
      message: expect.stringContaining('retention.ms is not a list'),
    });
    expect(refused(applyConfigOps({}, [{ name: 'retention.ms', op: ConfigOp.SET, value: null }]))).toMatchObject({
      code: ErrorCode.INVALID_CONFIG,
      message: expect.stringContaining('needs a value for SET'),
    });
    expect(
      refused(
        applyConfigOps({}, [
          { name: 'a', op: ConfigOp.DELETE, value: null },
          { name: 'a', op: ConfigOp.DELETE, value: null },
        ]),
      ),
    ).toMatchObject({ code: ErrorCode.INVALID_CONFIG, message: expect.stringContaining('named twice') });
    expect(refused(applyConfigOps({}, [{ name: 'a', op: 7, value: 'x' }]))).toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
      message: expect.stringContaining('Unknown config operation 7'),
    });
  });
});

import * as E from 'fp-ts/Either';
import { Membership, decodeConfChange, encodeConfChange } from '../../../core/raft/conf-change';

describe('configuration changes', () => {
  it('round-trips and rejects malformed entries with a reason', () => {
    expect(decodeConfChange(encodeConfChange({ type: 'addLearner', node: 4 }))).toEqual(E.right({ type: 'addLearner', node: 4 }));
    expect(decodeConfChange(Buffer.from('{'))).toEqual(E.left('configuration entry is not valid JSON'));
    expect(decodeConfChange(Buffer.from('{"type":"addVoter","node":-1}'))).toEqual(E.left('configuration entry needs a positive integer "node"'));
    expect(decodeConfChange(Buffer.from('{"type":"explode","node":1}'))).toEqual(E.left('unknown configuration change type explode'));
  });

  it('validates a change against the current membership', () => {
    const m = new Membership({ voters: [1], learners: [2] });
    expect(m.validate({ type: 'addLearner', node: 2 })).toBe('node 2 is already a member');
    expect(m.validate({ type: 'removeNode', node: 1 })).toBe('cannot remove the last voter');
    expect(m.validate({ type: 'removeNode', node: 9 })).toBe('node 9 is not a member');
    m.apply({ type: 'addVoter', node: 2 });
    expect(m.toConfState()).toEqual({ voters: [1, 2], learners: [] });
  });
});

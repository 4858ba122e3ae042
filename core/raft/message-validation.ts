import type { Message } from './types';

/**
 * Checks the promises a correct peer's message keeps, before it reaches the
 * core (which treats broken ones as bugs). A message from the network that
 * breaks them is dropped with this reason instead of crashing the node.
 */
export function messageProblem(m: Message, self: number): string | undefined {
  if (m.to !== self) return `addressed to node ${m.to}, not ${self}`;
  if (m.from === 0 || m.from === self) return `bad sender ${m.from}`;
  if (m.type === 'append') {
    let expected = m.prevLogIndex + 1;
    let lastTerm = m.prevLogTerm;
    if (m.commit < 0 || m.prevLogTerm > m.term) return 'prevLogTerm is past the message term';
    for (const e of m.entries) {
      if (e.index !== expected) return `entries are not contiguous: expected index ${expected}, got ${e.index}`;
      if (e.term < lastTerm || e.term > m.term) return `entry ${e.index} has term ${e.term} out of order`;
      expected++;
      lastTerm = e.term;
    }
  }
  if (m.type === 'snapshot') {
    const meta = m.snapshot.metadata;
    if (meta.term > m.term) return 'snapshot term is past the message term';
    if (meta.conf.voters.length === 0) return 'snapshot has no voters';
  }
  return undefined;
}

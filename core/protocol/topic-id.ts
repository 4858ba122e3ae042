// Topic ids on the wire are UUIDs (hex here). The all-zero one means "no id".
export const NO_TOPIC_ID = '00000000000000000000000000000000';

// The broker keeps topic ids as base64url text (16 random bytes).
export function topicIdHex(id: string): string {
  const bytes = Buffer.from(id, 'base64url');
  return bytes.length === 16 ? bytes.toString('hex') : NO_TOPIC_ID;
}

// A cluster numbers its topics 1, 2, ... in its metadata log. Topic n's UUID is
// a fixed high half ("Rill") and n in the low half: the same on every broker,
// and never one of Kafka's reserved ids (zero, and 0...01 of its metadata topic).
const NUMBERED_HIGH = '52696c6c00000000';

/** The UUID of a cluster's topic number `n`. */
export function numberedTopicIdHex(n: number): string {
  return NUMBERED_HIGH + n.toString(16).padStart(16, '0');
}

/** The topic number a UUID made by numberedTopicIdHex stands for (undefined: not one). */
export function topicNumberOfHex(hex: string): number | undefined {
  if (hex.length !== 32 || !hex.startsWith(NUMBERED_HIGH)) return undefined;
  const n = Number.parseInt(hex.slice(NUMBERED_HIGH.length), 16);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

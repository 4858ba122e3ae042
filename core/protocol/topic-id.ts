// The broker keeps topic ids as base64url text (16 random bytes); the wire carries them as UUIDs (hex here).
export function topicIdHex(id: string): string {
  const bytes = Buffer.from(id, 'base64url');
  return bytes.length === 16 ? bytes.toString('hex') : '00000000000000000000000000000000';
}

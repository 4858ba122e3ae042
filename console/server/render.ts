// How the message browser shows a record's key and value: Avro decoded
// through the registry when the bytes are a Confluent frame and a registry is
// configured, else JSON when the text parses as an object or array, else UTF-8
// text, else hex (binary that is not text).
import type { RenderedBytes } from '../model';
import type { RegistryView } from './registry-view';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Bytes shown of a value too large to send whole (the page says it was cut). */
const SHOWN_BYTES = 64 * 1024;

export async function renderBytes(bytes: Buffer | null, registry: RegistryView | undefined): Promise<RenderedBytes> {
  if (bytes === null) return { view: 'string', text: null };
  if (registry !== undefined) {
    const avro = await registry.decode(bytes);
    if (avro !== undefined) return { view: 'avro', text: avro.json, schemaId: avro.schemaId };
  }
  const shown = bytes.length > SHOWN_BYTES ? bytes.subarray(0, SHOWN_BYTES) : bytes;
  const cut = bytes.length > SHOWN_BYTES ? ` … (${bytes.length} bytes, first ${SHOWN_BYTES} shown)` : '';
  let text: string;
  try {
    text = utf8.decode(shown);
  } catch {
    return { view: 'hex', text: shown.toString('hex') + cut };
  }
  if (cut === '' && isJson(text)) return { view: 'json', text };
  return { view: 'string', text: text + cut };
}

function isJson(text: string): boolean {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

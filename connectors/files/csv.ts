// One CSV line (RFC 4180 quoting: "a ""quoted"" field", delimiter inside
// quotes) to fields and back. A quoted field spanning lines is not supported:
// such a line is refused as unterminated.
import { left, right, type Either } from 'fp-ts/Either';

export function parseCsvLine(line: string, delimiter = ','): Either<string, string[]> {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return left('unterminated quoted field (a quoted field spanning lines is not supported)');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return right(fields);
      if (line[i] !== delimiter) return left(`unexpected character after a quoted field at column ${i + 1}`);
      i++;
    } else {
      const d = line.indexOf(delimiter, i);
      if (d < 0) {
        fields.push(line.slice(i));
        return right(fields);
      }
      fields.push(line.slice(i, d));
      i = d + 1;
    }
  }
}

export function formatCsvLine(fields: readonly string[], delimiter = ','): string {
  return fields
    .map((f) => (f.includes(delimiter) || f.includes('"') || f.includes('\n') || f.includes('\r') ? `"${f.replace(/"/g, '""')}"` : f))
    .join(delimiter);
}

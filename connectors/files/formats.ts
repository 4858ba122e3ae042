// Line formats shared by the file and stdio connectors: JSON lines, CSV (a
// header line names the columns; a row is an object of them) and plain text
// lines. Parsing and formatting return values, never throw: a line that does
// not parse is a bad record.
import { left, right, type Either } from 'fp-ts/Either';
import { formatCsvLine, parseCsvLine } from './csv';

export interface LineFormat<V> {
  readonly name: string;
  /** CSV: the file's first line is a header, not a record. */
  readonly hasHeader?: boolean;
  parse(line: string, header?: readonly string[]): Either<string, V>;
  format(value: V): Either<string, string>;
  /** The header line to write before the first record of a new file. */
  headerFor?(first: V): string;
  parseHeader?(line: string): Either<string, string[]>;
}

export function jsonLines<V = unknown>(): LineFormat<V> {
  return {
    name: 'jsonl',
    parse(line) {
      try {
        return right(JSON.parse(line) as V);
      } catch (e) {
        return left(`not JSON: ${(e as Error).message}`);
      }
    },
    format(value) {
      try {
        const text = JSON.stringify(value);
        return text === undefined ? left('cannot be written as JSON') : right(text);
      } catch (e) {
        return left(`cannot be written as JSON: ${(e as Error).message}`);
      }
    },
  };
}

export function plainLines(): LineFormat<string> {
  return {
    name: 'lines',
    parse: (line) => right(line),
    format: (value) =>
      typeof value !== 'string'
        ? left(`a line must be a string, got ${typeof value}`)
        : value.includes('\n')
          ? left('a line cannot contain a newline')
          : right(value),
  };
}

export interface CsvOptions {
  readonly delimiter?: string;
  /** Columns to write, in order (default: the first record's keys). Reading always takes them from the header line. */
  readonly columns?: readonly string[];
}

export function csvLines(options: CsvOptions = {}): LineFormat<Record<string, string>> {
  const delimiter = options.delimiter ?? ',';
  let columns = options.columns;
  return {
    name: 'csv',
    hasHeader: true,
    parseHeader: (line) => parseCsvLine(line, delimiter),
    parse(line, header) {
      if (!header) return left('no header line read before this row');
      const fields = parseCsvLine(line, delimiter);
      if (fields._tag === 'Left') return fields;
      if (fields.right.length !== header.length) return left(`expected ${header.length} fields (${header.join(delimiter)}), got ${fields.right.length}`);
      return right(Object.fromEntries(header.map((h, i) => [h, fields.right[i]])));
    },
    headerFor(first) {
      columns ??= Object.keys(first);
      return formatCsvLine(columns, delimiter);
    },
    format(value) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return left(`a CSV row must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
      const cols = (columns ??= Object.keys(value));
      return right(
        formatCsvLine(
          cols.map((c) => cellText((value as Record<string, unknown>)[c])),
          delimiter,
        ),
      );
    },
  };
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

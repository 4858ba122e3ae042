// Line formats: CSV quoting both ways, JSON lines, plain lines; failures as values.
import { csvLines, formatCsvLine, jsonLines, parseCsvLine, plainLines } from '../../../connectors';

test('CSV fields: quotes, doubled quotes and delimiters inside quotes', () => {
  expect(parseCsvLine('a,"b,c","say ""hi""",')).toEqual({ _tag: 'Right', right: ['a', 'b,c', 'say "hi"', ''] });
  expect(formatCsvLine(['a', 'b,c', 'say "hi"', ''])).toBe('a,"b,c","say ""hi""",');
  expect(parseCsvLine('"open')._tag).toBe('Left');
  expect(parseCsvLine('"x"y')._tag).toBe('Left');
  expect(parseCsvLine('a;b', ';')).toEqual({ _tag: 'Right', right: ['a', 'b'] });
});

test('a CSV row is an object of the header columns; a row of another width is refused', () => {
  const csv = csvLines();
  expect(csv.parse('1,Ada', ['id', 'name'])).toEqual({ _tag: 'Right', right: { id: '1', name: 'Ada' } });
  const wrong = csv.parse('1,Ada,x', ['id', 'name']);
  expect(wrong._tag === 'Left' && wrong.left).toBe('expected 2 fields (id,name), got 3');
  expect(csv.headerFor!({ id: '1', name: 'x' })).toBe('id,name');
  expect(csv.format({ id: '2', name: 'Grace, H.' })).toEqual({ _tag: 'Right', right: '2,"Grace, H."' });
});

test('JSON lines and plain lines', () => {
  expect(jsonLines().parse('{"a":1}')).toEqual({ _tag: 'Right', right: { a: 1 } });
  expect(jsonLines().parse('{nope')._tag).toBe('Left');
  expect(jsonLines().format(undefined as unknown)._tag).toBe('Left');
  expect(plainLines().format('two\nlines')._tag).toBe('Left');
  expect(plainLines().parse('as is ')).toEqual({ _tag: 'Right', right: 'as is ' });
});

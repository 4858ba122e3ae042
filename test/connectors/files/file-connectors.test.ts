// File and stdio connectors on an embedded Rill: reading a file into a topic,
// following it as it grows, resuming from the stored position, writing a
// topic out as lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { memoryLogger } from '../../../dsl';
import { csvLines, fileSink, fileSource, jsonLines, lineStreamSource, plainLines, SinkTask, SourceTask, streamSink } from '../../../connectors';
import { eventually, openTempRill, readTopic, type TempRill } from '../support';

let t: TempRill;
let file: string;
beforeEach(() => {
  t = openTempRill();
  file = path.join(t.dir, 'in.jsonl');
});
afterEach(async () => {
  await t.close();
});

const values = async (topic: string) => (await readTopic(t.rill, topic)).map((r) => JSON.parse(r.value!.toString()));

async function runToEnd<V>(source: Parameters<typeof fileSource<string, V>>[0], options: { badRecords?: 'skip' | { deadLetterTopic: string } } = {}) {
  const task = new SourceTask(t.client, fileSource(source), { topic: 'in', partitions: 1, logger: memoryLogger(), ...options });
  await task.start();
  await task.done;
  return task;
}

test('a JSON lines file is read to its end, keyed, and its position stored', async () => {
  fs.writeFileSync(file, '{"id":"a","n":1}\n{"id":"b","n":2}\r\n{"id":"c","n":3}');
  await runToEnd({ path: file, format: jsonLines<{ id: string; n: number }>(), key: (v) => v.id });
  const records = await readTopic(t.rill, 'in');
  expect(records.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()).n])).toEqual([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  expect(JSON.parse(fs.readFileSync(`${file}.rill-position`, 'utf8')).offset).toBe(fs.statSync(file).size);
});

test('a restart goes on from the stored position: nothing read twice, nothing lost', async () => {
  fs.writeFileSync(file, '1\n2\n');
  await runToEnd({ path: file, format: jsonLines() });
  fs.appendFileSync(file, '3\n4\n');
  await runToEnd({ path: file, format: jsonLines() });
  expect(await values('in')).toEqual([1, 2, 3, 4]);
});

test('a replaced file (new inode) is read from its start', async () => {
  fs.writeFileSync(file, '1\n2\n');
  await runToEnd({ path: file, format: jsonLines() });
  fs.rmSync(file);
  fs.writeFileSync(file, '10\n');
  await runToEnd({ path: file, format: jsonLines() });
  expect(await values('in')).toEqual([1, 2, 10]);
});

test('lines that do not parse follow the policy, with file and byte in the reason', async () => {
  fs.writeFileSync(file, '1\n{oops\n3\n');
  await t.rill.admin.createTopics([{ name: 'dlt', partitions: 1 }]);
  await runToEnd({ path: file, format: jsonLines() }, { badRecords: { deadLetterTopic: 'dlt' } });
  expect(await values('in')).toEqual([1, 3]);
  const dlt = await readTopic(t.rill, 'dlt');
  expect(dlt[0].value!.toString()).toBe('{oops');
  expect(dlt[0].headers!.find((h) => h.key === 'rill.error')!.value!.toString()).toMatch(/in\.jsonl, line ending at byte 8: not JSON/);
});

test('CSV: the header names the columns, also after a restart mid-file', async () => {
  const csv = path.join(t.dir, 'people.csv');
  fs.writeFileSync(csv, 'id,name\n1,Ada\n');
  await runToEnd({ path: csv, format: csvLines() });
  fs.appendFileSync(csv, '2,"Hopper, Grace"\n');
  await runToEnd({ path: csv, format: csvLines() });
  expect(await values('in')).toEqual([
    { id: '1', name: 'Ada' },
    { id: '2', name: 'Hopper, Grace' },
  ]);
});

test('following a growing file picks up lines as they are appended', async () => {
  fs.writeFileSync(file, 'first\n');
  const task = new SourceTask(t.client, fileSource({ path: file, format: plainLines(), follow: true, pollIntervalMs: 20 }), {
    topic: 'in',
    partitions: 1,
    logger: memoryLogger(),
  });
  await task.start();
  await eventually(async () => (await readTopic(t.rill, 'in')).length === 1, 'the first line');
  fs.appendFileSync(file, 'second\nthird (no newline yet)');
  await eventually(async () => (await readTopic(t.rill, 'in')).length === 2, 'the second line');
  fs.appendFileSync(file, '\n');
  await eventually(async () => (await readTopic(t.rill, 'in')).length === 3, 'the third line once complete');
  await task.stop();
  expect(await values('in')).toEqual(['first', 'second', 'third (no newline yet)']);
});

test('a topic written out as JSON lines and CSV files; tombstones have no line; refused values follow the policy', async () => {
  await t.rill.admin.createTopics([{ name: 'out', partitions: 1 }]);
  await t.rill.producer().send('out', [
    { key: 'a', value: JSON.stringify({ id: 1, name: 'Ada' }) },
    { key: 'b', value: null },
    { key: 'c', value: JSON.stringify({ id: 2, name: 'Grace, H.' }) },
    { key: 'd', value: JSON.stringify([1, 2]) },
  ]);
  const jsonl = path.join(t.dir, 'out.jsonl');
  const csv = path.join(t.dir, 'out.csv');
  for (const sink of [fileSink({ path: jsonl, format: jsonLines() }), fileSink({ path: csv, format: csvLines() })]) {
    const task = new SinkTask(t.client, sink, { topics: ['out'], logger: memoryLogger(), badRecords: 'skip' });
    await task.start();
    await task.waitUntilCaughtUp();
    await task.stop();
  }
  expect(fs.readFileSync(jsonl, 'utf8')).toBe('{"id":1,"name":"Ada"}\n{"id":2,"name":"Grace, H."}\n[1,2]\n');
  expect(fs.readFileSync(csv, 'utf8')).toBe('id,name\n1,Ada\n2,"Grace, H."\n');
});

test('stdio: lines from an input stream into a topic, and a topic out to a stream', async () => {
  const input = new PassThrough();
  const source = new SourceTask(t.client, lineStreamSource({ input, format: jsonLines() }), {
    topic: 'in',
    partitions: 1,
    logger: memoryLogger(),
    badRecords: 'skip',
  });
  await source.start();
  input.end('{"a":1}\nnot json\n{"a":2}\n');
  await source.done;
  expect(source.reachedEnd).toBe(true);
  expect(await values('in')).toEqual([{ a: 1 }, { a: 2 }]);

  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const sink = new SinkTask(t.client, streamSink({ stream: out, format: jsonLines() }), { topics: ['in'], logger: memoryLogger() });
  await sink.start();
  await sink.waitUntilCaughtUp();
  await sink.stop();
  expect(text).toBe('{"a":1}\n{"a":2}\n');
});

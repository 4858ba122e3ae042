import { jsonSerde } from '../../../core/schema';
import { count, merge, selectKey, to, tumbling, hopping } from '../../../dsl';
import { drive, num, str, stringStream, windowed, wstr } from '../helpers';

describe('count', () => {
  test('counts per key, emitting every update, and keeps the table in its store', () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ store: 'counts' }), to('out', { key: str, value: num }));
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    input.pipeInput('a', 'x', 1);
    input.pipeInput('b', 'y', 2);
    input.pipeInput('a', 'z', 3);
    input.pipeInput(null, 'no key', 4);
    input.pipeInput('a', null, 5);
    expect(d.outputTopic('out', { key: str, value: num }).readRecordsToList()).toEqual([
      { key: 'a', value: 1, timestamp: 1 },
      { key: 'b', value: 1, timestamp: 2 },
      { key: 'a', value: 2, timestamp: 3 },
    ]);
    expect([...d.keyValueStore('counts').all()]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    // Every change reaches the compacted changelog.
    expect(d.outputTopic('test-counts-changelog', { key: str, value: num }).readKeyValuesToList()).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
    ]);
  });

  test('after a key change, counts go through a repartition topic', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      selectKey((r) => r.value, { keySerde: str }),
      count({ store: 'by-value' }),
    );
    const topology = builder.build();
    expect(topology.repartitionTopics).toEqual(['test-by-value-repartition']);
    const d = drive(topology);
    d.inputTopic<string, string>('in').pipeRecords([
      { key: 'k1', value: 'red', timestamp: 1 },
      { key: 'k2', value: 'red', timestamp: 2 },
      { key: 'k3', value: 'blue', timestamp: 3 },
    ]);
    expect(d.outputTopic('test-by-value-repartition', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['red', 'red'],
      ['red', 'red'],
      ['blue', 'blue'],
    ]);
    expect(d.keyValueStore<string, number>('by-value').get('red')).toBe(2);
    expect(d.keyValueStore<string, number>('by-value').get('blue')).toBe(1);
  });
});

describe('count whose output nothing reads (the store is what is wanted)', () => {
  test('keeps its store and changelog; a count read by a later pipe, or by another step, still emits every update', () => {
    const { builder, stream } = stringStream();
    // A leaf: nothing reads it.
    stream.pipe(count({ store: 'leaf' }));
    // Read by a step piped onto the declared stream after it was declared.
    const counted = stream.pipe(count({ store: 'read' }));
    counted.pipe(to('out', { key: str, value: num }));
    // Read only by another step (merge observes it), never piped onto.
    const observed = stream.pipe(count({ store: 'observed' }));
    stream.pipe(merge<string, string | number>(observed), to('merged', { key: str, value: jsonSerde<string | number>() }));
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', 'y', 2);
    for (const store of ['leaf', 'read', 'observed']) expect([...d.keyValueStore(store).all()]).toEqual([['a', 2]]);
    expect(d.outputTopic('test-leaf-changelog', { key: str, value: num }).readKeyValuesToList()).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
    expect(d.outputTopic('out', { key: str, value: num }).readKeyValuesToList()).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
    expect(d.outputTopic('merged', { key: str, value: jsonSerde<string | number>() }).readKeyValuesToList()).toEqual([
      ['a', 1],
      ['a', 'x'],
      ['a', 2],
      ['a', 'y'],
    ]);
  });
});

describe('count over tumbling windows (size 10, grace 5)', () => {
  const build = (emit: 'update' | 'final') => {
    const { builder, stream } = stringStream();
    stream.pipe(
      count({ store: 'w', window: tumbling(10, { graceMs: 5 }), emit, lateRecords: { deadLetterTopic: 'late' } }),
      to('out', { key: wstr, value: num }),
    );
    return drive(builder.build());
  };
  const feed = [1, 3, 12, 8, 16, 9, 30];

  test('emit on update: out-of-order records within grace update their window; late ones go to the dead-letter topic', () => {
    const d = build('update');
    for (const t of feed) d.inputTopic<string, string>('in').pipeInput('a', `v${t}`, t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['a', 0, 10, 1, 1],
      ['a', 0, 10, 2, 3],
      ['a', 10, 20, 1, 12],
      ['a', 0, 10, 3, 8], // out of order, window [0,10) still open until stream time 15
      ['a', 10, 20, 2, 16],
      // ts 9 at stream time 16: [0,10) closed at 15 -> late
      ['a', 30, 40, 1, 30],
    ]);
    const late = d.outputTopic('late').readRecordsToList();
    expect(late.map((r) => [r.key, r.value, r.timestamp])).toEqual([['a', 'v9', 9]]);
    expect(late[0].headers?.['rill.error']).toMatch(/late record: timestamp 9 is behind stream time 16/);
    expect(late[0].headers?.['rill.source.offset']).toBe('5');
  });

  test('emit final: one result per window, when stream time passes end + grace', () => {
    const d = build('final');
    const out = d.outputTopic('out', { key: wstr, value: num });
    const input = d.inputTopic<string, string>('in');
    for (const t of [1, 3, 12, 8]) input.pipeInput('a', `v${t}`, t);
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('a', 'v16', 16);
    expect(windowed(out.readRecordsToList())).toEqual([['a', 0, 10, 3, 9]]);
    input.pipeInput('a', 'v9', 9); // late
    input.pipeInput('a', 'v30', 30);
    expect(windowed(out.readRecordsToList())).toEqual([['a', 10, 20, 2, 19]]);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([['a', 'v9']]);
  });

  test('windows are queryable by key and time range', () => {
    const d = build('update');
    for (const t of [1, 12, 14]) d.inputTopic<string, string>('in').pipeInput('a', 'x', t);
    expect(d.windowStore<string, number>('w').fetch('a', 0, 100)).toEqual([
      { window: { start: 0, end: 10 }, value: 1 },
      { window: { start: 10, end: 20 }, value: 2 },
    ]);
    expect(d.windowStore<string, number>('w').fetch('a', 5, 100)).toEqual([{ window: { start: 10, end: 20 }, value: 2 }]);
  });

  test('windows of a quiet partition close on the wall clock when closeAfterIdleMs is set', () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ store: 'w', window: tumbling(10), emit: 'final', closeAfterIdleMs: 1000 }), to('out', { key: wstr, value: num }));
    const d = drive(builder.build(), { initialWallClockMs: 1_000_000 });
    d.inputTopic<string, string>('in').pipeInput('a', 'x', 5);
    const out = d.outputTopic('out', { key: wstr, value: num });
    d.advanceWallClockTime(999);
    expect(out.isEmpty()).toBe(true);
    d.advanceWallClockTime(10);
    // Idle 1009 ms: stream time moves from 5 to 1014, past the window's end 10.
    expect(windowed(out.readRecordsToList())).toEqual([['a', 0, 10, 1, 9]]);
  });
});

describe('count over hopping windows (size 10, advance 5)', () => {
  test('a record counts in every window that holds it', () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ window: hopping(10, 5, { graceMs: 0 }) }), to('out', { key: wstr, value: num }));
    const d = drive(builder.build());
    for (const t of [7, 12, 4]) d.inputTopic<string, string>('in').pipeInput('k', 'x', t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['k', 0, 10, 1, 7],
      ['k', 5, 15, 1, 7],
      ['k', 5, 15, 2, 12],
      ['k', 10, 20, 1, 12],
      // ts 4 at stream time 12: [0,10) closed (10 <= 12), [-5,5) does not exist -> late, dropped with a log line
    ]);
    expect(d.logLines.some((l) => /late record: timestamp 4 is behind stream time 12/.test(l) && /topic in, partition 0, offset 2/.test(l))).toBe(true);
  });
});

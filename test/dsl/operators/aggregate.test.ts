import { aggregate, reduce, sliding, session, to, count, hopping } from '../../../dsl';
import { jsonSerde } from '../../../core/schema';
import { drive, num, numOrNull, str, stringStream, windowed, wstr } from '../helpers';

describe('reduce and aggregate', () => {
  test('reduce combines values per key; the first value starts the aggregate', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      reduce((a, b) => `${a}+${b}`, { store: 'joined' }),
      to('out', { key: str, value: str }),
    );
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeRecords([
      { key: 'k', value: 'a', timestamp: 1 },
      { key: 'k', value: 'b', timestamp: 2 },
      { key: 'j', value: 'x', timestamp: 3 },
      { key: 'k', value: 'c', timestamp: 4 },
    ]);
    expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['k', 'a'],
      ['k', 'a+b'],
      ['j', 'x'],
      ['k', 'a+b+c'],
    ]);
    // reduce keeps the value serde of its input (string) for the changelog.
    expect(d.outputTopic('test-joined-changelog', { key: str, value: str }).readKeyValuesToMap()).toEqual(
      new Map([
        ['k', 'a+b+c'],
        ['j', 'x'],
      ]),
    );
  });

  test('aggregate folds into another type from an initializer', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      aggregate(
        () => ({ n: 0, chars: 0 }),
        (_k, v: string, agg) => ({ n: agg.n + 1, chars: agg.chars + v.length }),
        { store: 'stats', valueSerde: jsonSerde<{ n: number; chars: number }>() },
      ),
      to('out', { key: str }),
    );
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeRecords([
      { key: 'k', value: 'ab', timestamp: 1 },
      { key: 'k', value: 'cde', timestamp: 2 },
    ]);
    expect(d.outputTopic('out', { key: str }).readKeyValuesToList()).toEqual([
      ['k', { n: 1, chars: 2 }],
      ['k', { n: 2, chars: 5 }],
    ]);
    expect(d.keyValueStore('stats').get('k')).toEqual({ n: 2, chars: 5 });
  });

  test('aggregate over hopping windows, emit final', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      aggregate(
        () => '',
        (_k, v: string, agg) => agg + v,
        { window: hopping(10, 5, { graceMs: 2 }), emit: 'final' },
      ),
      to('out', { key: wstr, value: str }),
    );
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    input.pipeInput('k', 'a', 6); // windows [0,10) [5,15)
    input.pipeInput('k', 'b', 11); // [5,15) [10,20)
    input.pipeInput('k', 'c', 9); // out of order: [0,10) still open (closes at 12), [5,15)
    input.pipeInput('k', 'd', 12); // closes [0,10)
    input.pipeInput('k', 'e', 30); // closes [5,15) and [10,20)
    expect(windowed(d.outputTopic('out', { key: wstr, value: str }).readRecordsToList())).toEqual([
      ['k', 0, 10, 'ac', 9],
      ['k', 5, 15, 'abcd', 14],
      ['k', 10, 20, 'bd', 19],
    ]);
  });
});

describe('sliding windows (size 10, grace 5)', () => {
  test("each record's window [t-10, t] counts the records in it; out-of-order records update later windows that hold them", () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ store: 's', window: sliding(10, { graceMs: 5 }), lateRecords: { deadLetterTopic: 'late' } }), to('out', { key: wstr, value: num }));
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    for (const t of [5, 12, 20, 16, 3]) input.pipeInput('k', `v${t}`, t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['k', -5, 5, 1, 5],
      ['k', 2, 12, 2, 12], // holds 5 and 12
      ['k', 10, 20, 2, 20], // holds 12 and 20
      // 16 arrives at stream time 20: its own window [6, 16] holds 12 and 16 ...
      ['k', 6, 16, 2, 16],
      // ... and the open window [10, 20] now holds 12, 16 and 20
      ['k', 10, 20, 3, 20],
      // 3 at stream time 20: its window [-7, 3] ended at 3, 3 + 5 < 20: late
    ]);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([['k', 'v3']]);
  });

  test('a record whose own window closed still counts in an open later window that holds it (Kafka Streams: late only when every window holding it is closed)', () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ store: 's', window: sliding(10, { graceMs: 5 }), lateRecords: { deadLetterTopic: 'late' } }), to('out', { key: wstr, value: num }));
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    for (const t of [20, 12]) input.pipeInput('k', `v${t}`, t);
    // 12 at stream time 20: its own window [2, 12] closed (12 + 5 < 20) and is not emitted; [10, 20] is open and holds it.
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['k', 10, 20, 1, 20],
      ['k', 10, 20, 2, 20],
    ]);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([]);
  });
});

describe('session windows (gap 10, grace 0)', () => {
  const build = (emit: 'update' | 'final') => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ store: 'sessions', window: session(10), emit, lateRecords: { deadLetterTopic: 'late' } }), to('out', { key: wstr, value: numOrNull }));
    return drive(builder.build());
  };

  test('emit update: sessions grow, merge (the merged-away session is deleted with a null), and late records go to the dead letters', () => {
    const d = build('update');
    const input = d.inputTopic<string, string>('in');
    for (const t of [0, 5, 30, 22, 50, 10]) input.pipeInput('u', `e${t}`, t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['u', 0, 0, 1, 0],
      ['u', 0, 0, null, 5],
      ['u', 0, 5, 2, 5],
      ['u', 30, 30, 1, 30],
      // 22, out of order, is within the gap of [30,30] (not of [0,5]): they merge
      ['u', 30, 30, null, 22],
      ['u', 22, 30, 2, 22],
      ['u', 50, 50, 1, 50],
      // 10 at stream time 50 would extend [0,5] to [0,10]; 10 + gap 10 + grace 0 < 50: late
    ]);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([['u', 'e10']]);
    expect(d.windowStore<string, number>('sessions').fetch('u', 0, 100)).toEqual([
      { window: { start: 0, end: 5 }, value: 2 },
      { window: { start: 22, end: 30 }, value: 2 },
      { window: { start: 50, end: 50 }, value: 1 },
    ]);
  });

  test('a record bridging two open sessions merges them (grace 5 keeps [0,0] open at stream time 15)', () => {
    const { builder, stream } = stringStream();
    stream.pipe(count({ window: session(10, { graceMs: 5 }) }), to('out', { key: wstr, value: numOrNull }));
    const d = drive(builder.build());
    const input = d.inputTopic<string, string>('in');
    for (const t of [0, 15, 8]) input.pipeInput('u', 'x', t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList())).toEqual([
      ['u', 0, 0, 1, 0],
      ['u', 15, 15, 1, 15],
      ['u', 0, 0, null, 8],
      ['u', 15, 15, null, 8],
      ['u', 0, 15, 3, 8],
    ]);
  });

  test('lateness is judged on the merged session (Kafka Streams): a record bridging a closed and an open session merges them', () => {
    const d = build('update');
    for (const t of [0, 15, 8]) d.inputTopic<string, string>('in').pipeInput('u', `e${t}`, t);
    // At stream time 15, [0,0] alone is closed (0 + 10 < 15), but the record at 8 also reaches [15,15]: the merged
    // session [0,15] ends at 15, 15 + 10 >= 15, so it is open and the record counts.
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([]);
    expect(d.windowStore<string, number>('sessions').fetch('u', 0, 100)).toEqual([{ window: { start: 0, end: 15 }, value: 3 }]);
  });

  test('issue 13 repro: gap 5 min, grace 2 min, clicks at 0,3,6,9,12 min then one at -4 min merge into [-4m, 12m] = 6', () => {
    const { builder, stream } = stringStream();
    const min = 60_000;
    stream.pipe(
      count({ store: 'clicks', window: session(5 * min, { graceMs: 2 * min }), lateRecords: { deadLetterTopic: 'late' } }),
      to('out', { key: wstr, value: numOrNull }),
    );
    const d = drive(builder.build());
    const T = 100 * min;
    for (const m of [0, 3, 6, 9, 12, -4]) d.inputTopic<string, string>('in').pipeInput('u', `c${m}`, T + m * min);
    // The record at T-4m alone would be closed ([T-4m] + gap + grace = T+3m < stream time T+12m); the session it joins is not.
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([]);
    expect(d.windowStore<string, number>('clicks').fetch('u', 0, T + 20 * min)).toEqual([{ window: { start: T - 4 * min, end: T + 12 * min }, value: 6 }]);
    const map = d
      .outputTopic<{ key: string; window: { start: number; end: number } }, number | null>('out', { key: wstr, value: numOrNull })
      .readKeyValuesToMap();
    expect([...map.entries()].map(([k, v]) => [k.window.start - T, k.window.end - T, v])).toEqual([[-4 * min, 12 * min, 6]]);
  });

  test('a record far behind every session is still late (its merged session is its own [t, t])', () => {
    const d = build('update');
    for (const t of [100, 50]) d.inputTopic<string, string>('in').pipeInput('u', `e${t}`, t);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([['u', 'e50']]);
  });

  test('a second record at the instant of a one-record session updates it in place (no null, as Kafka Streams)', () => {
    const d = build('update');
    for (const t of [5, 5]) d.inputTopic<string, string>('in').pipeInput('u', 'x', t);
    expect(windowed(d.outputTopic('out', { key: wstr, value: numOrNull }).readRecordsToList())).toEqual([
      ['u', 5, 5, 1, 5],
      ['u', 5, 5, 2, 5],
    ]);
  });

  test('emit final: one result per session once stream time passes its end + gap + grace', () => {
    const d = build('final');
    const input = d.inputTopic<string, string>('in');
    const out = d.outputTopic('out', { key: wstr, value: num });
    for (const t of [0, 5, 15]) input.pipeInput('u', 'x', t);
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('v', 'x', 26); // stream time 26 > 15 + 10: session [0,15] closes
    expect(windowed(out.readRecordsToList())).toEqual([['u', 0, 15, 3, 15]]);
  });
});

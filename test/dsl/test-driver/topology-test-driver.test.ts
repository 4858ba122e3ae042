import { map, scan } from 'rxjs';
import { jsonSerde } from '../../../core/schema';
import { ProcessingFailure, count, mapValues, memoryLogger, session, to, type KRecord } from '../../../dsl';
import { drive, num, numOrNull, str, stringStream, wstr } from '../helpers';

describe('TopologyTestDriver', () => {
  test('input timestamps default to the wall clock, which only the test moves', () => {
    const { builder, stream } = stringStream();
    stream.to('out', { key: str, value: str });
    const d = drive(builder.build(), { initialWallClockMs: 1000 });
    d.inputTopic<string, string>('in').pipeInput('k', 'a');
    d.advanceWallClockTime(500);
    d.inputTopic<string, string>('in').pipeInput('k', 'b');
    expect(
      d
        .outputTopic('out', { key: str, value: str })
        .readRecordsToList()
        .map((r) => r.timestamp),
    ).toEqual([1000, 1500]);
    expect(d.wallClockTime).toBe(1500);
  });

  test('reading an output topic consumes it; unknown input topics are refused', () => {
    const { builder, stream } = stringStream();
    stream.to('out', { key: str, value: str });
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeInput('k', 'a', 1);
    const out = d.outputTopic('out', { key: str, value: str });
    expect(out.queueSize).toBe(1);
    expect(out.readRecord()).toEqual({ key: 'k', value: 'a', timestamp: 1 });
    expect(out.readRecord()).toBeUndefined();
    expect(() => d.inputTopic('nope')).toThrow(/"nope" is not a source topic of this topology \(sources: in\)/);
  });

  test('readKeyValuesToMap on windowed output: one entry per (key, window), latest value, tombstones delete', () => {
    const { builder, stream } = stringStream();
    // Sessions (gap 5): a's [1,1] grows to [1,3] (a null for [1,1]), then [1,4]; a's [20,20] and b's [2,2] stay.
    stream.pipe(count({ window: session(5) }), to('out', { key: wstr, value: numOrNull }));
    const d = drive(builder.build());
    for (const [k, t] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['a', 4],
      ['a', 20],
      ['a', 20],
    ] as const)
      d.inputTopic<string, string>('in').pipeInput(k, 'x', t);
    const m = d.outputTopic('out', { key: wstr, value: numOrNull }).readKeyValuesToMap();
    expect([...m.entries()].map(([k, v]) => [k.key, k.window.start, k.window.end, v])).toEqual([
      ['b', 2, 2, 1],
      ['a', 1, 4, 3],
      ['a', 20, 20, 2],
    ]);
  });

  describe('bad records and exceptions in user code', () => {
    const build = () => {
      const b = stringStream('p');
      b.builder.stream('nums', { key: str, value: jsonSerde<number>() }).pipe(
        mapValues((n) => {
          if (n < 0) throw new Error(`negative: ${n}`);
          return n * 2;
        }),
        to('doubled', { key: str, value: num }),
      );
      return b.builder.build();
    };
    const feed = (d: ReturnType<typeof drive>) => {
      const raw = d.inputTopic<string, string>('nums', { value: str });
      raw.pipeInput('a', '1', 1);
      raw.pipeInput('a', '{oops', 2);
      raw.pipeInput('a', '-5', 3);
      raw.pipeInput('a', '4', 4);
    };

    test("'fail' (the default) throws with the record's origin", () => {
      const d = drive(build());
      expect(() => feed(d)).toThrow(ProcessingFailure);
      expect(d.logLines.join('\n')).toMatch(
        /ERROR cannot read the record at topic nums, partition 0, offset 1: record value at topic nums, partition 0, offset 1: not valid JSON/,
      );
    });

    test("'skip' logs and goes on", () => {
      const logger = memoryLogger();
      const d = drive(build(), { deserializationErrors: 'skip', processingErrors: 'skip', logger });
      feed(d);
      expect(d.outputTopic('doubled', { key: str, value: num }).readKeyValuesToList()).toEqual([
        ['a', 2],
        ['a', 8],
      ]);
      expect(logger.lines).toEqual([
        expect.stringMatching(/^WARN cannot read the record at topic nums, partition 0, offset 1: .*not valid JSON.*; skipped\.$/),
        'WARN mapValues threw on the record at topic nums, partition 0, offset 2: negative: -5; skipped.',
      ]);
    });

    test('a dead-letter topic keeps the bad records with the reason and origin in headers', () => {
      const d = drive(build(), { deserializationErrors: { deadLetterTopic: 'dlq' }, processingErrors: { deadLetterTopic: 'dlq' } });
      feed(d);
      const dead = d.outputTopic('dlq', { key: str, value: str }).readRecordsToList();
      expect(dead.map((r) => [r.key, r.value, r.headers?.['rill.source.offset']])).toEqual([
        ['a', '{oops', '1'], // raw bytes, as read
        ['"a"', '-5', '2'], // the record as the failing step saw it, in JSON
      ]);
      expect(dead[1].headers?.['rill.error']).toBe('mapValues threw on the record at topic nums, partition 0, offset 2: negative: -5');
    });

    test('an exception in a plain RxJS operator restarts the pipeline under skip (stores keep their state)', () => {
      const { builder, stream } = stringStream();
      stream.pipe(
        map((r) => {
          if (r.value === 'boom') throw new Error('boom');
          return r;
        }),
        scan((n: number) => n + 1, 0),
        map((n): KRecord<string, number> => ({ key: 'n', value: n, timestamp: 0 })),
        to('seen', { key: str, value: num }),
      );
      const d = drive(builder.build(), { processingErrors: { deadLetterTopic: 'dlq' } });
      for (const v of ['a', 'b', 'boom', 'c']) d.inputTopic<string, string>('in').pipeInput('k', v, 1);
      // scan's per-subscription count restarts with the pipeline: plain RxJS state is not durable (use a store).
      expect(d.outputTopic('seen', { key: str, value: num }).readKeyValuesToList()).toEqual([
        ['n', 1],
        ['n', 2],
        ['n', 1],
      ]);
      expect(d.outputTopic('dlq', { key: str, value: str }).readKeyValuesToList()).toEqual([['"k"', '"boom"']]);
      expect(d.logLines.join('\n')).toMatch(
        /the pipeline threw on the record at topic in, partition 0, offset 2: boom; sent to dead-letter topic dlq; pipeline restarted/,
      );
    });
  });
});

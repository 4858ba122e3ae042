// Per-record steps fused into one subscription (perRecord over perRecord), and
// records taken over in place by the step after the one that made them. The
// fused chain must behave as the chain of separate subscribers did: the same
// records, order, errors, completion and teardown; a stream two steps read
// is never changed under either of them; error policies see the record as it
// was before the failing step.
import { map, Subject, share, take, type OperatorFunction } from 'rxjs';
import { ProcessingFailure } from '../../../dsl/runtime/error-policy';
import { perRecord } from '../../../dsl/operator';
import { count, flatMapValues, mapValues, processingTime, selectKey, to, type KRecord } from '../../../dsl';
import { drive, num, str, stringStream } from '../helpers';
import { jsonSerde } from '../../../core/schema';

/** The key and value a user function saw when it was called (a record it keeps may change later). */
const seen = (r: KRecord<unknown, unknown>) => `${String(r.key)}=${String(r.value)}`;

test('flatMapValues -> selectKey -> mapValues: each step sees and emits what it did unfused, headers and timestamps kept', () => {
  const { builder, stream } = stringStream();
  const selectorSaw: string[] = [];
  const projectSaw: string[] = [];
  stream.pipe(
    flatMapValues((v) => v.split(' ')),
    selectKey(
      (r) => {
        selectorSaw.push(seen(r));
        return r.value.toUpperCase();
      },
      { keySerde: str },
    ),
    mapValues((v, k, r) => {
      projectSaw.push(seen(r));
      return `${k}/${v}`;
    }),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'a b', 5);
  d.inputTopic<string, string>('in').pipeInput('k', 'c', 9);
  expect(d.outputTopic('out', { key: str, value: str }).readRecordsToList()).toEqual([
    { key: 'A', value: 'A/a', timestamp: 5 },
    { key: 'B', value: 'B/b', timestamp: 5 },
    { key: 'C', value: 'C/c', timestamp: 9 },
  ]);
  expect(selectorSaw).toEqual(['k=a', 'k=b', 'k=c']);
  expect(projectSaw).toEqual(['A=a', 'B=b', 'C=c']);
});

test('a stream two steps read is not changed by either: each branch gets records of its own', () => {
  const { builder, stream } = stringStream();
  const words = stream.pipe(flatMapValues((v) => v.split(' ')));
  // Both branches start with a step that would change its record in place if it owned it.
  words.pipe(
    selectKey((r) => r.value.toUpperCase(), { keySerde: str }),
    to('upper', { key: str, value: str }),
  );
  words.pipe(
    mapValues((v) => v.length),
    to('lengths', { key: str, value: num }),
  );
  // A re-keyed stream read twice: both mapValues after it get the re-keyed word, unchanged by the other.
  const rekeyed = words.pipe(selectKey((r) => `${r.value}!`, { keySerde: str }));
  rekeyed.pipe(
    mapValues((v) => `first ${v}`),
    to('first', { key: str, value: str }),
  );
  rekeyed.pipe(
    mapValues((v) => `second ${v}`),
    to('second', { key: str, value: str }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'ab c', 1);
  expect(d.outputTopic('upper', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['AB', 'ab'],
    ['C', 'c'],
  ]);
  expect(d.outputTopic('lengths', { key: str, value: num }).readKeyValuesToList()).toEqual([
    ['k', 2],
    ['k', 1],
  ]);
  expect(d.outputTopic('first', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['ab!', 'first ab'],
    ['c!', 'first c'],
  ]);
  expect(d.outputTopic('second', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['ab!', 'second ab'],
    ['c!', 'second c'],
  ]);
});

describe('error policies inside a fused chain', () => {
  const pipeline = () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      flatMapValues((v) => v.split(' ')),
      selectKey(
        (r) => {
          if (r.value === 'badkey') throw new Error('no key for it');
          return r.value.toUpperCase();
        },
        { keySerde: str },
      ),
      mapValues((v) => {
        if (v === 'badvalue') throw new Error('no value for it');
        return `<${v}>`;
      }),
      to('out', { key: str, value: str }),
    );
    return builder.build();
  };

  test('dead letters carry the record as the failing step got it; the words around it go on', () => {
    const d = drive(pipeline(), { processingErrors: { deadLetterTopic: 'dlq' } });
    d.inputTopic<string, string>('in').pipeInput('k', 'a badkey b badvalue c', 3);
    expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['A', '<a>'],
      ['B', '<b>'],
      ['C', '<c>'],
    ]);
    const dlq = d.outputTopic('dlq', { key: str, value: str }).readRecordsToList();
    // The dead-letter topic holds JSON: the selector's failure has the word's original key, mapValues' its new key.
    expect(dlq.map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['"k"', '"badkey"', 3],
      ['"BADVALUE"', '"badvalue"', 3],
    ]);
    expect(dlq.map((r) => r.headers?.['rill.error'])).toEqual([
      'selectKey threw on the record at topic in, partition 0, offset 0: no key for it',
      'mapValues threw on the record at topic in, partition 0, offset 0: no value for it',
    ]);
  });

  test("'skip' drops only the failing word", () => {
    const d = drive(pipeline(), { processingErrors: 'skip' });
    d.inputTopic<string, string>('in').pipeInput('k', 'badvalue x badkey', 3);
    expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([['X', '<x>']]);
  });

  test("'fail' stops at the failing word, after the words before it", () => {
    const d = drive(pipeline(), { processingErrors: 'fail' });
    expect(() => d.inputTopic<string, string>('in').pipeInput('k', 'a badvalue c', 3)).toThrow(ProcessingFailure);
    expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([['A', '<a>']]);
  });
});

test('processingTime after flatMapValues stamps each word with the wall clock', () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    flatMapValues((v) => v.split(' ')),
    processingTime(),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build(), { initialWallClockMs: 1_000 });
  d.inputTopic<string, string>('in').pipeInput('k', 'a b', 5);
  expect(d.outputTopic('out', { key: str, value: str }).readRecordsToList()).toEqual([
    { key: 'k', value: 'a', timestamp: 1_000 },
    { key: 'k', value: 'b', timestamp: 1_000 },
  ]);
});

// ------------------------------------------------ perRecord itself: fused against unfused

type Log = string[];

/** Emits each value of an array record, logging what it does; `fresh` marks its outputs as its own. */
function spread(log: Log, fresh: boolean): OperatorFunction<number[], number> {
  return (source) =>
    perRecord<number[], number>(
      source,
      (emit, owned) => {
        log.push(`spread setup owned=${owned}`);
        return {
          next(values) {
            for (const v of values) {
              log.push(`spread emits ${v}`);
              emit(v);
            }
          },
          complete: () => {
            log.push('spread complete');
            emit(-1);
          },
          teardown: () => log.push('spread teardown'),
        };
      },
      fresh,
    );
}

/** Logs each value and passes it on; throws on `failOn`. */
function check(log: Log, name: string, failOn?: number): OperatorFunction<number, number> {
  return (source) =>
    perRecord<number, number>(source, (emit, owned) => {
      log.push(`${name} setup owned=${owned}`);
      return {
        next(v) {
          log.push(`${name} got ${v}`);
          if (v === failOn) throw new Error(`${name} failed on ${v}`);
          emit(v);
        },
        complete: () => log.push(`${name} complete`),
        teardown: () => log.push(`${name} teardown`),
      };
    });
}

/** Between two steps: a plain RxJS step, which keeps them apart (two subscribers, as before fusion). */
const apart = map((v: number) => v);

/**
 * Runs `scenario` on spread -> first -> second, fused and kept apart by plain
 * RxJS steps, followed by `after`; the two logs (setup lines aside: ownership
 * differs by design).
 */
function fusedAndApart(
  scenario: (source: Subject<number[]>) => void,
  failOn?: number,
  after: OperatorFunction<number, number> = (o) => o,
): { fused: Log; apart: Log } {
  const run = (fused: boolean): Log => {
    const log: Log = [];
    const source = new Subject<number[]>();
    const chain = fused
      ? source.pipe(spread(log, true), check(log, 'first', failOn), check(log, 'second'))
      : source.pipe(spread(log, true), apart, check(log, 'first', failOn), apart, check(log, 'second'));
    chain.pipe(after).subscribe({
      next: (v) => log.push(`out ${v}`),
      error: (e) => log.push(`out error ${(e as Error).message}`),
      complete: () => log.push('out complete'),
    });
    scenario(source);
    return log.filter((l) => !l.includes('owned='));
  };
  return { fused: run(true), apart: run(false) };
}

describe('a fused chain behaves as the separate steps did', () => {
  test('records, completion (with what a step emits on completion) and teardown in the same order', () => {
    const logs = fusedAndApart((source) => {
      source.next([1, 2]);
      source.complete();
    });
    expect(logs.fused).toEqual(logs.apart);
    expect(logs.fused).toContain('second got -1');
    expect(logs.fused.at(-1)).toBe('second teardown');
  });

  test('an exception in a later step: the chain ends with that error, the earlier step finishes its loop unheard', () => {
    const logs = fusedAndApart((source) => {
      source.next([1, 2, 3]);
      source.next([4]);
    }, 2);
    expect(logs.fused).toEqual(logs.apart);
    expect(logs.fused).toContain('out error first failed on 2');
    expect(logs.fused).toContain('spread emits 3');
    expect(logs.fused).not.toContain('first got 3');
  });

  test('a plain step after the chain that stops listening (take): later records reach no step', () => {
    const logs = fusedAndApart(
      (source) => {
        source.next([1, 2, 3]);
        source.next([4]);
      },
      undefined,
      take(1),
    );
    expect(logs.fused).toEqual(logs.apart);
    expect(logs.fused.filter((l) => l.startsWith('out'))).toEqual(['out 1', 'out complete']);
    expect(logs.fused).not.toContain('first got 2');
  });
});

describe('which records a step owns', () => {
  const ownership = (fresh: boolean, between: OperatorFunction<number, number> = (o) => o): string[] => {
    const log: Log = [];
    new Subject<number[]>().pipe(spread(log, fresh), between, check(log, 'next')).subscribe();
    return log.filter((l) => l.includes('owned='));
  };

  test('the step right after one whose records are its own, in one chain', () => {
    expect(ownership(true)).toEqual(['next setup owned=true', 'spread setup owned=false']);
  });

  test('not after a step that may keep or pass on its records', () => {
    expect(ownership(false)).toEqual(['next setup owned=false', 'spread setup owned=false']);
  });

  test('not after a shared stream, nor across a plain RxJS step', () => {
    expect(ownership(true, share())).toEqual(['next setup owned=false', 'spread setup owned=false']);
    expect(ownership(true, apart)).toEqual(['next setup owned=false', 'spread setup owned=false']);
  });
});

test("mapValues after count takes over count's change records: the store keeps the counts, the output the mapped values", () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    count({ store: 'n' }),
    mapValues((n) => `seen ${n}`),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build());
  for (const k of ['a', 'b', 'a']) d.inputTopic<string, string>('in').pipeInput(k, 'x', 2);
  expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['a', 'seen 1'],
    ['b', 'seen 1'],
    ['a', 'seen 2'],
  ]);
  expect([...d.keyValueStore('n').all()]).toEqual([
    ['a', 2],
    ['b', 1],
  ]);
});

test('a user function that returns its own record gets a copy, not a record that holds itself', () => {
  const { builder, stream } = stringStream();
  const keys: unknown[] = [];
  const values: unknown[] = [];
  stream.pipe(
    flatMapValues((v) => v.split(' ')),
    selectKey((r) => r),
    mapValues((_v, _k, r) => {
      keys.push(r.key);
      return r;
    }),
    mapValues((v) => {
      values.push(v);
      return 'x';
    }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'a b', 5);
  expect(keys).toHaveLength(2);
  for (const key of keys) expect((key as KRecord<string, string>).key).toBe('k');
  expect(keys.map((k) => (k as KRecord<string, string>).value)).toEqual(['a', 'b']);
  // The mapped value is the record as it was (key: the word's first record), never the record itself.
  for (const v of values) {
    const rec = v as KRecord<unknown, unknown>;
    expect(rec.value).not.toBe(rec);
    expect(rec.key).not.toBe(rec);
  }
});

// A user function that can hold its record (mapValues declaring the record parameter, an object key
// built from it) gets a copy: the record it saw never changes afterwards.
describe('records user code may hold are not changed in place', () => {
  test('a value that refers to its own input record keeps the input as it was', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      flatMapValues((v) => v.split(' ')),
      // A value built from the record (an envelope): legal, and JSON-serializable unfused.
      mapValues((v, _k, r) => ({ word: v, from: r })),
      mapValues((v) => `${v.word}<-${String(v.from.value)}`),
      to('out', { key: str, value: str }),
    );
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeInput('k', 'a b', 5);
    expect(
      d
        .outputTopic('out', { key: str, value: str })
        .readRecordsToList()
        .map((r) => r.value),
    ).toEqual(['a<-a', 'b<-b']);
  });

  test('a function that keeps the previous record sees that record as it was', () => {
    const { builder, stream } = stringStream();
    let previous: { value: string } | undefined;
    stream.pipe(
      flatMapValues((v) => v.split(' ')),
      mapValues((v, _k, r) => {
        const out = previous === undefined ? v : `${previous.value}>${v}`;
        previous = r;
        return out;
      }),
      to('out', { key: str, value: str }),
    );
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeInput('k', 'a b c', 5);
    expect(
      d
        .outputTopic('out', { key: str, value: str })
        .readRecordsToList()
        .map((r) => r.value),
    ).toEqual(['a', 'a>b', 'b>c']);
  });

  test('an envelope value serializes as JSON', () => {
    const { builder, stream } = stringStream();
    stream.pipe(
      flatMapValues((v) => v.split(' ')),
      mapValues((v, _k, r) => ({ word: v, key: r.key, from: r })),
      to('out', { key: str, value: jsonSerde<unknown>() }),
    );
    const d = drive(builder.build());
    d.inputTopic<string, string>('in').pipeInput('k', 'a', 5);
    expect(
      d
        .outputTopic('out', { key: str, value: jsonSerde<unknown>() })
        .readRecordsToList()
        .map((r) => r.value),
    ).toHaveLength(1);
  });
});

test('groupBy with an object key built from the record: the key does not refer to itself', () => {
  const { builder, stream } = stringStream();
  const keys: unknown[] = [];
  stream.pipe(
    flatMapValues((v) => v.split(' ')),
    selectKey((r) => ({ word: r.value, from: r })),
    mapValues((v, k) => {
      keys.push(k);
      return v;
    }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'a b', 5);
  expect(keys.map((k) => (k as { from: KRecord<unknown, unknown> }).from.key)).toEqual(['k', 'k']);
});

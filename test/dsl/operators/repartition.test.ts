// The write half of a repartition, on a task that writes repartitioned records
// to their topic (not handed on in memory): a record it cannot serialize under
// the 'fail' policy must end the pipeline with an error the task sees, at once,
// not escape to RxJS's unhandled-error hook.
import { of } from 'rxjs';
import { right } from 'fp-ts/Either';
import { stringSerde, type Serde } from '../../../core/schema';
import { StreamsBuilder, silentLogger, type KRecord } from '../../../dsl';
import { withTask } from '../../../dsl/operator';
import { repartitionSink } from '../../../dsl/operators/repartition';
import { StreamTask } from '../../../dsl/runtime/stream-task';
import { str } from '../helpers';

const throwingSerde: Serde<string> = {
  ...str,
  serialize: () => {
    throw new Error('no bytes for this');
  },
};

function task(sent: string[], values: (string | undefined)[] = []) {
  const b = new StreamsBuilder('repartition-test');
  b.stream('in', { key: str, value: str });
  return new StreamTask({
    topology: b.build(),
    partition: 0,
    collector: {
      send: (topic, _key, value) => {
        sent.push(topic);
        values.push(value?.toString());
      },
    },
    logger: silentLogger,
    deserializationErrors: 'fail',
    processingErrors: 'fail',
    now: () => 0,
  });
}

const rec = (key: string): KRecord<string, string> => ({ key, value: 'v', timestamp: 1 });

test('a record is written to the repartition topic', () => {
  const sent: string[] = [];
  const t = task(sent);
  const completed = jest.fn();
  withTask(t, () => repartitionSink('r-repartition', str, str)(of(rec('a'), rec('b')))).subscribe({ complete: completed });
  expect(sent).toEqual(['r-repartition', 'r-repartition']);
  expect(completed).toHaveBeenCalledTimes(1);
});

test("a serde that throws, under 'fail': the pipeline errors synchronously and writes nothing", () => {
  const sent: string[] = [];
  const t = task(sent);
  const errors: unknown[] = [];
  withTask(t, () => repartitionSink('r-repartition', throwingSerde, str)(of(rec('a'), rec('b')))).subscribe({ error: (e) => errors.push(e) });
  expect(errors).toHaveLength(1);
  expect((errors[0] as Error).message).toMatch(/repartition\(r-repartition\).*no bytes for this/);
  expect(sent).toEqual([]);
});

test("a built-in serde whose serialize was replaced in place writes that serialize's bytes, not its fast path's", () => {
  const shout = (v: string) => right(Buffer.from(v.toUpperCase()));
  const assigned = Object.assign(stringSerde(), { serialize: shout });
  const reassigned = stringSerde();
  reassigned.serialize = shout;
  for (const serde of [assigned, reassigned]) {
    const values: (string | undefined)[] = [];
    withTask(task([], values), () => repartitionSink('r-repartition', serde, serde)(of(rec('a')))).subscribe();
    expect(values).toEqual(['V']);
  }
  // Untouched, the fast path writes the same bytes serialize() would.
  const values: (string | undefined)[] = [];
  withTask(task([], values), () => repartitionSink('r-repartition', str, str)(of(rec('a')))).subscribe();
  expect(values).toEqual(['v']);
});

import { count, processingTime, to, tumbling } from '../../../dsl';
import { drive, num, str, stringStream, windowed, wstr } from '../helpers';

describe('processingTime', () => {
  test('stamps records with the wall clock, keeping key and value', () => {
    const { builder, stream } = stringStream();
    stream.pipe(processingTime(), to('out', { key: str, value: str }));
    const d = drive(builder.build(), { initialWallClockMs: 1_000 });
    const input = d.inputTopic<string, string>('in');
    input.pipeInput('a', 'x', 5); // event time 5, processed at wall clock 1000
    d.advanceWallClockTime(250);
    input.pipeInput('b', 'y', 7);
    expect(d.outputTopic('out', { key: str, value: str }).readRecordsToList()).toEqual([
      { key: 'a', value: 'x', timestamp: 1_000 },
      { key: 'b', value: 'y', timestamp: 1_250 },
    ]);
  });

  test('gives processing-time windows: the driver clock decides the window, not the event time', () => {
    const { builder, stream } = stringStream();
    stream.pipe(processingTime(), count({ store: 'per-second', window: tumbling(1_000), emit: 'final' }), to('out', { key: wstr, value: num }));
    const d = drive(builder.build(), { initialWallClockMs: 0 });
    const input = d.inputTopic<string, string>('in');
    input.pipeInput('a', 'x', 999_999); // a late event time changes nothing
    input.pipeInput('a', 'x', 0);
    d.advanceWallClockTime(1_000);
    input.pipeInput('a', 'x', 5); // wall clock 1000: the second window, which closes the first
    expect(windowed(d.outputTopic('out', { key: wstr, value: num }).readRecordsToList() as never)).toEqual([['a', 0, 1_000, 2, 999]]);
  });
});

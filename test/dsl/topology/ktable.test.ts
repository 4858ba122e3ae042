import { StreamsBuilder, count, mapValues } from '../../../dsl';
import { drive, num, str } from '../helpers';

describe('KTable', () => {
  test('a table read from a topic: latest value per key, tombstones delete, changes as a stream', () => {
    const b = new StreamsBuilder('t');
    b.table('profiles', { key: str, value: str, store: 'profiles' }).toStream().to('changes', { key: str, value: str });
    const topology = b.build();
    expect(topology.describe()).toMatch(/profiles \(key-value; key string, value string; changelog: source topic profiles\)/);
    const d = drive(topology);
    const input = d.inputTopic<string, string>('profiles');
    input.pipeInput('u1', 'a', 1);
    input.pipeInput('u1', 'b', 2);
    input.pipeInput('u2', 'c', 3);
    input.pipeInput('u1', null, 4);
    input.pipeInput('u3', null, 5); // deleting what is not there changes nothing
    expect(d.outputTopic('changes', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['u1', 'a'],
      ['u1', 'b'],
      ['u2', 'c'],
      ['u1', null],
    ]);
    expect([...d.keyValueStore('profiles').all()]).toEqual([['u2', 'c']]);
    // The source topic is the changelog: nothing is written back.
    expect(d.writtenTopics).toEqual(['changes', 'profiles']);
  });

  test('stream to table and back: toTable() after count is the count store', () => {
    const b = new StreamsBuilder('t');
    const counts = b
      .stream('in', { key: str, value: str })
      .pipe(count({ store: 'n' }))
      .toTable();
    expect(counts.storeName).toBe('n');
    const upserts = b.stream('kv', { key: str, value: str }).toTable({ store: 'latest' });
    upserts
      .toStream()
      .pipe(mapValues((v) => v?.toUpperCase() ?? null))
      .to('upper', { key: str, value: str });
    const d = drive(b.build());
    d.inputTopic<string, string>('kv').pipeInput('a', 'x', 1);
    d.inputTopic<string, string>('kv').pipeInput('a', 'y', 2);
    expect(d.outputTopic('upper', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['a', 'X'],
      ['a', 'Y'],
    ]);
    expect(d.keyValueStore('latest').get('a')).toBe('y');
    expect(d.outputTopic('t-latest-changelog', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['a', 'x'],
      ['a', 'y'],
    ]);
  });

  test('table-table joins: inner while both sides have a value, left while the left has one', () => {
    const b = new StreamsBuilder('tt');
    const users = b.table('users', { key: str, value: str });
    const emails = b.table('emails', { key: str, value: str });
    users
      .join(emails, (u, e) => `${u} <${e}>`, { store: 'inner' })
      .toStream()
      .to('inner-out', { key: str, value: str });
    users
      .leftJoin(emails, (u, e) => `${u} <${e ?? 'none'}>`, { store: 'left' })
      .toStream()
      .to('left-out', { key: str, value: str });
    const d = drive(b.build());
    const u = d.inputTopic<string, string>('users');
    const e = d.inputTopic<string, string>('emails');
    u.pipeInput('1', 'Ada', 1);
    e.pipeInput('1', 'ada@x', 2);
    e.pipeInput('2', 'bob@x', 3); // no user 2: nothing
    u.pipeInput('2', 'Bob', 4);
    e.pipeInput('1', null, 5); // email of 1 deleted
    u.pipeInput('2', null, 6); // user 2 deleted
    expect(d.outputTopic('inner-out', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['1', 'Ada <ada@x>'],
      ['2', 'Bob <bob@x>'],
      ['1', null],
      ['2', null],
    ]);
    expect(d.outputTopic('left-out', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['1', 'Ada <none>'],
      ['1', 'Ada <ada@x>'],
      ['2', 'Bob <bob@x>'],
      ['1', 'Ada <none>'],
      ['2', null],
    ]);
    expect([...d.keyValueStore('inner').all()]).toEqual([]);
    expect([...d.keyValueStore('left').all()]).toEqual([['1', 'Ada <none>']]);
  });

  test('counts as a table, joined', () => {
    const b = new StreamsBuilder('c');
    const clicks = b
      .stream('clicks', { key: str, value: str })
      .pipe(count({ store: 'clicks' }))
      .toTable();
    const views = b
      .stream('views', { key: str, value: str })
      .pipe(count({ store: 'views' }))
      .toTable();
    clicks
      .join(views, (c, v) => c / v, { store: 'ctr' })
      .toStream()
      .to('ctr', { key: str, value: num });
    const d = drive(b.build());
    d.inputTopic<string, string>('views').pipeInput('p', 'v', 1);
    d.inputTopic<string, string>('views').pipeInput('p', 'v', 2);
    d.inputTopic<string, string>('clicks').pipeInput('p', 'c', 3);
    expect(d.outputTopic('ctr', { key: str, value: num }).readKeyValuesToList()).toEqual([['p', 0.5]]);
  });
});

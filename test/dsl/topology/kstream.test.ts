import { to } from '../../../dsl';
import { drive, str, stringStream } from '../helpers';

test('branch: each record goes to the first branch whose predicate holds; others are dropped', () => {
  const { builder, stream } = stringStream();
  const [small, medium] = stream.branch(
    (r) => r.value.length < 3,
    (r) => r.value.length < 6,
  );
  small.pipe(to('small', { key: str, value: str }));
  medium.to('medium', { key: str, value: str });
  const d = drive(builder.build());
  for (const v of ['ab', 'abcd', 'abcdefgh', 'a']) d.inputTopic<string, string>('in').pipeInput('k', v, 1);
  expect(d.outputTopic('small', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['k', 'ab'],
    ['k', 'a'],
  ]);
  expect(d.outputTopic('medium', { key: str, value: str }).readKeyValuesToList()).toEqual([['k', 'abcd']]);
});

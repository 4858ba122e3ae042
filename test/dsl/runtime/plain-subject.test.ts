import { share, Subject } from 'rxjs';
import { PlainSubject } from '../../../dsl/runtime/plain-subject';

test('sends each value to the observers there were when it was sent, as Subject does', () => {
  for (const make of [() => new Subject<number>(), () => new PlainSubject<number>()]) {
    const s = make();
    const seen: string[] = [];
    const first = s.subscribe((v) => {
      seen.push(`a${v}`);
      // Subscribing and unsubscribing while a value is sent changes who gets the next one, not this one.
      if (v === 1) s.subscribe((w) => seen.push(`c${w}`));
      if (v === 2) first.unsubscribe();
    });
    s.subscribe((v) => seen.push(`b${v}`));
    s.next(1);
    s.next(2);
    s.next(3);
    expect(seen).toEqual(['a1', 'b1', 'a2', 'b2', 'c2', 'b3', 'c3']);
  }
});

test('error and complete reach every observer once, and later subscribers at once; values after them are dropped', () => {
  const s = new PlainSubject<number>();
  const events: string[] = [];
  s.subscribe({ next: (v) => events.push(`next ${v}`), error: (e) => events.push(`error ${(e as Error).message}`) });
  s.next(1);
  s.error(new Error('boom'));
  s.next(2);
  s.complete();
  s.subscribe({ error: (e) => events.push(`late error ${(e as Error).message}`) });
  expect(events).toEqual(['next 1', 'error boom', 'late error boom']);

  const c = new PlainSubject<number>();
  c.complete();
  c.subscribe({ complete: () => events.push('late complete') });
  expect(events.at(-1)).toBe('late complete');
});

test('as share() connector (a task step with several readers), every reader gets each value in order', () => {
  const got: number[] = [];
  const src = new PlainSubject<number>();
  const shared = src.pipe(share({ connector: () => new PlainSubject<number>() }));
  const a = shared.subscribe((v) => got.push(v));
  shared.subscribe((v) => got.push(v * 10));
  src.next(1);
  src.next(2);
  a.unsubscribe();
  src.next(3);
  expect(got).toEqual([1, 10, 2, 20, 30]);
});

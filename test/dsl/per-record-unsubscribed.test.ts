import { Subject, take } from 'rxjs';
import { perRecord } from '../../dsl/operator';

// A plain RxJS step after a Rill step (take, first, takeWhile) may unsubscribe
// while the Rill step is still in its handler. An error the handler throws after
// that is dropped, as RxJS drops an error sent to a closed subscriber: it must
// not turn into a TypeError thrown back at the source (the task).
test('an error thrown after a later step unsubscribed is not thrown back at the source', () => {
  const source = new Subject<number>();
  const out: number[] = [];
  const errors: unknown[] = [];
  perRecord<number, number>(source, (emit) => ({
    next(a) {
      emit(a);
      throw new Error('user code failed after emitting');
    },
  }))
    .pipe(take(1))
    .subscribe({ next: (v) => out.push(v), error: (e) => errors.push(e) });
  expect(() => source.next(1)).not.toThrow();
  expect(out).toEqual([1]);
  expect(errors).toEqual([]);
});

test('an error thrown while the next step still listens reaches it', () => {
  const source = new Subject<number>();
  const errors: string[] = [];
  perRecord<number, number>(source, () => ({
    next() {
      throw new Error('user code failed');
    },
  })).subscribe({ error: (e) => errors.push((e as Error).message) });
  source.next(1);
  expect(errors).toEqual(['user code failed']);
});

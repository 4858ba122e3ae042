// A hot Observable a task pushes records into: what RxJS's Subject does for a
// task's sources and shared steps, without its cost per value. RxJS's
// CommonJS build wraps every Subject.next in a closure (errorContext) and walks
// the observers with an ES5 iterator that makes an object per step: about
// 270 bytes of garbage per record in the word count, a third of all the DSL
// allocated. Here next() is a plain loop over an array that is replaced, never
// changed, when observers come and go, so a value goes to the observers there
// were when it was sent (as Subject's snapshot does).
import { Observable, type Subscriber } from 'rxjs';

export class PlainSubject<T> extends Observable<T> {
  private observers: Subscriber<T>[] = [];
  private stopped: { readonly error: unknown } | 'complete' | undefined;

  constructor() {
    super((subscriber) => {
      const stopped = this.stopped;
      if (stopped === 'complete') subscriber.complete();
      else if (stopped !== undefined) subscriber.error(stopped.error);
      else {
        this.observers = [...this.observers, subscriber];
        return () => {
          this.observers = this.observers.filter((o) => o !== subscriber);
        };
      }
      return undefined;
    });
  }

  next(value: T): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) observers[i].next(value);
  }

  error(error: unknown): void {
    if (this.stopped !== undefined) return;
    this.stopped = { error };
    const observers = this.observers;
    this.observers = [];
    for (const o of observers) o.error(error);
  }

  complete(): void {
    if (this.stopped !== undefined) return;
    this.stopped = 'complete';
    const observers = this.observers;
    this.observers = [];
    for (const o of observers) o.complete();
  }
}

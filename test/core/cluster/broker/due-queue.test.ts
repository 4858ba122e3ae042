// The tick's due-time queue: an item is taken at the first tick at or after
// the slot boundary that follows its time (at most a slot late), never before; filed again, it moves; advance() only ever moves it
// earlier; a tick many slots late takes everything due in one go.
import { DueQueue } from '../../../../core/cluster/broker/due-queue';

describe('DueQueue', () => {
  it('takes an item at the first tick past the slot boundary at or after its time, never before', () => {
    const q = new DueQueue<string>(20, 1000);
    q.schedule('a', 1045);
    q.schedule('b', 1060);
    q.schedule('c', 1061);
    q.schedule('never', Infinity);
    expect(q.size).toBe(3);
    expect(q.takeDue(1044)).toEqual([]);
    expect(q.takeDue(1059)).toEqual([]);
    expect(q.takeDue(1060)).toEqual(['a', 'b']);
    expect(q.takeDue(1060)).toEqual([]);
    expect(q.takeDue(1085)).toEqual(['c']);
    expect(q.size).toBe(0);
  });

  it('a time already past is taken at the next tick', () => {
    const q = new DueQueue<string>(20, 1000);
    q.takeDue(1100);
    q.schedule('late', -Infinity);
    q.schedule('past', 900);
    expect(q.takeDue(1119)).toEqual([]);
    expect(q.takeDue(1120).sort()).toEqual(['late', 'past']);
  });

  it('schedule() moves an item either way; advance() only earlier; cancel() takes it out', () => {
    const q = new DueQueue<string>(20, 0);
    q.schedule('x', 500);
    q.advance('x', 900);
    expect(q.takeDue(80)).toEqual([]);
    q.advance('x', 100);
    expect(q.takeDue(100)).toEqual(['x']);
    q.schedule('y', 120);
    q.schedule('y', 300);
    expect(q.takeDue(200)).toEqual([]);
    q.advance('z', Infinity);
    q.advance('z', 320);
    q.cancel('y');
    expect(q.has('y')).toBe(false);
    expect(q.takeDue(400)).toEqual(['z']);
  });

  it('a tick many slots late (a paused process) takes everything due, earliest first', () => {
    const q = new DueQueue<number>(20, 0);
    for (let i = 0; i < 5; i++) q.schedule(i, 1_000_000 - i * 100_000);
    q.schedule(99, 5_000_000);
    expect(q.takeDue(2_000_000)).toEqual([4, 3, 2, 1, 0]);
    expect(q.takeDue(5_000_000)).toEqual([99]);
  });

  it('after the wall clock stepped back, the next tick takes everything filed, and then runs on the new clock', () => {
    const start = 1_000_000_000;
    const q = new DueQueue<string>(20, start);
    q.schedule('later', start + 10_000);
    expect(q.takeDue(start + 40)).toEqual([]);
    const back = start - 60 * 60 * 1000; // the clock stepped back one hour
    q.schedule('now', back); // due now (an ISR expansion to send)
    expect(q.takeDue(back + 20).sort()).toEqual(['later', 'now']);
    expect(q.size).toBe(0);
    // Filed again on the new clock, taken on time.
    q.schedule('again', back + 100);
    expect(q.takeDue(back + 99)).toEqual([]);
    expect(q.takeDue(back + 100)).toEqual(['again']);
  });
});

// An independent plain-TypeScript reference for each Nexmark query: loops and
// Maps over the generated events, no DSL. Used by the tests and by
// `npm run bench:nexmark` to check what the queries wrote.
//
// Windowed results are emitted once a window closes, and a window closes on
// the stream time of the task that holds its key (the largest timestamp that
// reached the operator in that task). So that results at the end of a finite
// input can be compared exactly, the reference computes the same stream time
// per task: a key's task is Kafka's default partition of the key's bytes
// (murmur2 of the JSON-serialized number), `partitions` being the input
// topic's partition count (1 in the test driver). It assumes no record
// arrives later than the grace period.
import { partitionForKey } from '../../../core/client';
import type { Auction, Bid, Event, Person } from '../../../examples/nexmark/model';

export interface ReferenceOptions {
  partitions: number;
  graceMs: number;
  windowMs: number;
  hopMs: number;
  maxAuctionLengthMs: number;
  /** Every window counts as closed (the app's clock was moved past them all at the end of the input). */
  closeAll?: boolean;
}

export const taskOf = (key: number, partitions: number) => (partitions === 1 ? 0 : partitionForKey(Buffer.from(JSON.stringify(key)), partitions));

/** The largest timestamp per task among keyed records. */
function streamTimes(records: Iterable<{ key: number; t: number }>, o: ReferenceOptions): (key: number) => number {
  if (o.closeAll) return () => Number.POSITIVE_INFINITY;
  const partitions = o.partitions;
  const times = new Map<number, number>();
  for (const r of records) {
    const task = taskOf(r.key, partitions);
    times.set(task, Math.max(times.get(task) ?? Number.NEGATIVE_INFINITY, r.t));
  }
  return (key) => times.get(taskOf(key, partitions)) ?? Number.NEGATIVE_INFINITY;
}

const floorTo = (t: number, size: number) => t - (((t % size) + size) % size);

function split(events: readonly Event[]) {
  const persons: Person[] = [];
  const auctions: Auction[] = [];
  const bids: Bid[] = [];
  for (const e of events) {
    if (e.person) persons.push(e.person);
    else if (e.auction) auctions.push(e.auction);
    else if (e.bid) bids.push(e.bid);
  }
  return { persons, auctions, bids };
}

export function q0(events: readonly Event[]): Bid[] {
  return split(events).bids;
}

export function q1(events: readonly Event[]) {
  return split(events).bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * 0.908, dateTime: b.dateTime, extra: b.extra }));
}

export function q2(events: readonly Event[]) {
  const out: { auction: number; price: number }[] = [];
  for (const b of split(events).bids) if (b.auction % 123 === 0) out.push({ auction: b.auction, price: b.price });
  return out;
}

/** Every (seller in OR/ID/CA, auction in category 10) pair, whichever came first. */
export function q3(events: readonly Event[]) {
  const { persons, auctions } = split(events);
  const byId = new Map<number, Person>();
  for (const p of persons) if (['OR', 'ID', 'CA'].includes(p.state)) byId.set(p.id, p);
  const out: { name: string; city: string; state: string; id: number }[] = [];
  for (const a of auctions) {
    const p = a.category === 10 ? byId.get(a.seller) : undefined;
    if (p) out.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return out;
}

export interface Winner {
  auction: number;
  seller: number;
  category: number;
  expires: number;
  price: number;
}

/**
 * The highest bid of each auction among its bids in [dateTime, expires],
 * for the auctions that are closed: the last such bid + maxAuctionLength +
 * grace is behind the stream time of the auction's task.
 */
export function winners(events: readonly Event[], o: ReferenceOptions): Winner[] {
  const { auctions, bids } = split(events);
  const byId = new Map(auctions.map((a) => [a.id, a]));
  const best = new Map<number, { w: Winner; last: number }>();
  const matched: { key: number; t: number }[] = [];
  for (const b of bids) {
    const a = byId.get(b.auction);
    if (!a || b.dateTime < a.dateTime || b.dateTime > a.expires) continue;
    matched.push({ key: a.id, t: b.dateTime });
    const cur = best.get(a.id);
    if (!cur) best.set(a.id, { w: { auction: a.id, seller: a.seller, category: a.category, expires: a.expires, price: b.price }, last: b.dateTime });
    else {
      cur.last = Math.max(cur.last, b.dateTime);
      if (b.price > cur.w.price) cur.w = { ...cur.w, price: b.price };
    }
  }
  const time = streamTimes(matched, o);
  return [...best.values()].filter(({ w, last }) => last + o.maxAuctionLengthMs + o.graceMs < time(w.auction)).map(({ w }) => w);
}

/** Final value per category: average winning price and the number of auctions. */
export function q4(events: readonly Event[], o: ReferenceOptions): Map<number, { category: number; avgPrice: number; auctions: number }> {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const w of winners(events, o)) {
    const s = sums.get(w.category) ?? { sum: 0, count: 0 };
    sums.set(w.category, { sum: s.sum + w.price, count: s.count + 1 });
  }
  return new Map([...sums].map(([category, s]) => [category, { category, avgPrice: s.sum / s.count, auctions: s.count }]));
}

/** Final value per window start: the largest bid count among the auctions and those auctions (closed windows only). */
export function q5(events: readonly Event[], o: ReferenceOptions): Map<number, { starttime: number; endtime: number; num: number; auctions: number[] }> {
  const bids = split(events).bids;
  const time = streamTimes(
    bids.map((b) => ({ key: b.auction, t: b.dateTime })),
    o,
  );
  const counts = new Map<string, { auction: number; start: number; n: number }>();
  for (const b of bids) {
    for (let start = floorTo(b.dateTime, o.hopMs); start > b.dateTime - o.windowMs; start -= o.hopMs) {
      const id = `${b.auction}|${start}`;
      const c = counts.get(id);
      if (c) c.n++;
      else counts.set(id, { auction: b.auction, start, n: 1 });
    }
  }
  const out = new Map<number, { starttime: number; endtime: number; num: number; auctions: number[] }>();
  for (const c of counts.values()) {
    if (c.start + o.windowMs + o.graceMs > time(c.auction)) continue; // still open
    const top = out.get(c.start);
    if (!top || c.n > top.num) out.set(c.start, { starttime: c.start, endtime: c.start + o.windowMs, num: c.n, auctions: [c.auction] });
    else if (c.n === top.num) top.auctions.push(c.auction);
  }
  for (const top of out.values()) top.auctions.sort((a, b) => a - b);
  return out;
}

/** Final value per seller: average winning price of their last 10 closed auctions (by expiry, then id). */
export function q6(events: readonly Event[], o: ReferenceOptions): Map<number, { seller: number; avgPrice: number; auctions: number }> {
  const bySeller = new Map<number, Winner[]>();
  for (const w of winners(events, o)) bySeller.set(w.seller, [...(bySeller.get(w.seller) ?? []), w]);
  const out = new Map<number, { seller: number; avgPrice: number; auctions: number }>();
  for (const [seller, ws] of bySeller) {
    const last = ws.sort((x, y) => y.expires - x.expires || y.auction - x.auction).slice(0, 10);
    out.set(seller, { seller, avgPrice: last.reduce((s, w) => s + w.price, 0) / last.length, auctions: last.length });
  }
  return out;
}

/** The bids with the highest price of each closed tumbling window (all bids go to one group). */
export function q7(events: readonly Event[], o: ReferenceOptions): Bid[] {
  const bids = split(events).bids;
  const streamTime = o.closeAll ? Number.POSITIVE_INFINITY : bids.reduce((t, b) => Math.max(t, b.dateTime), Number.NEGATIVE_INFINITY);
  const top = new Map<number, { price: number; bids: Bid[] }>();
  for (const b of bids) {
    const start = floorTo(b.dateTime, o.windowMs);
    const t = top.get(start);
    if (!t || b.price > t.price) top.set(start, { price: b.price, bids: [b] });
    else if (b.price === t.price) t.bids.push(b);
  }
  return [...top].filter(([start]) => start + o.windowMs + o.graceMs <= streamTime).flatMap(([, t]) => t.bids);
}

/** Persons who opened an auction in the tumbling window in which they registered, once per person (closed windows only). */
export function q8(events: readonly Event[], o: ReferenceOptions): { id: number; name: string; starttime: number }[] {
  const { persons, auctions } = split(events);
  const byId = new Map(persons.map((p) => [p.id, p]));
  // What reaches the per-person window: (auction, person) pairs in the same window, at the later of the two times.
  const pairs: { key: number; t: number; p: Person }[] = [];
  for (const a of auctions) {
    const p = byId.get(a.seller);
    if (p && floorTo(p.dateTime, o.windowMs) === floorTo(a.dateTime, o.windowMs)) pairs.push({ key: p.id, t: Math.max(a.dateTime, p.dateTime), p });
  }
  const time = streamTimes(pairs, o);
  const out = new Map<number, { id: number; name: string; starttime: number }>();
  for (const { p } of pairs) {
    const start = floorTo(p.dateTime, o.windowMs);
    if (start + o.windowMs + o.graceMs <= time(p.id)) out.set(p.id, { id: p.id, name: p.name, starttime: start });
  }
  return [...out.values()];
}

export interface BidderCount {
  bidder: number;
  bidCount: number;
  starttime: number;
  endtime: number;
}

/** Bids per bidder per session (gap windowMs), closed sessions only; endtime = last bid + gap. */
export function q11(events: readonly Event[], o: ReferenceOptions): BidderCount[] {
  const bids = split(events).bids;
  const time = streamTimes(
    bids.map((b) => ({ key: b.bidder, t: b.dateTime })),
    o,
  );
  const byBidder = new Map<number, number[]>();
  for (const b of bids) byBidder.set(b.bidder, [...(byBidder.get(b.bidder) ?? []), b.dateTime]);
  const out: BidderCount[] = [];
  for (const [bidder, times] of byBidder) {
    times.sort((a, b) => a - b);
    let start = times[0];
    let last = times[0];
    let n = 0;
    const close = () => {
      if (last + o.windowMs + o.graceMs < time(bidder)) out.push({ bidder, bidCount: n, starttime: start, endtime: last + o.windowMs });
    };
    for (const t of times) {
      if (t - last > o.windowMs) {
        close();
        start = t;
        n = 0;
      }
      last = t;
      n++;
    }
    close();
  }
  return out;
}

/**
 * Bids per bidder per tumbling window of processing time, `wallClockOf(i)`
 * being the wall clock when the i-th event was processed (one task, no grace).
 */
export function q12(events: readonly Event[], windowMs: number, wallClockOf: (i: number) => number): BidderCount[] {
  const counts = new Map<string, BidderCount>();
  let now = Number.NEGATIVE_INFINITY; // the window operator's stream time: the latest bid's wall clock
  events.forEach((e, i) => {
    if (!e.bid) return;
    now = Math.max(now, wallClockOf(i));
    const start = floorTo(wallClockOf(i), windowMs);
    const id = `${e.bid.bidder}|${start}`;
    const c = counts.get(id);
    if (c) c.bidCount++;
    else counts.set(id, { bidder: e.bid.bidder, bidCount: 1, starttime: start, endtime: start + windowMs });
  });
  return [...counts.values()].filter((c) => c.endtime <= now);
}

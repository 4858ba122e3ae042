// The Nexmark queries in Rill's DSL, as the Flink (nexmark-flink) and Beam
// suites define them in SQL. All read one topic, `nexmark-events`, whose
// values are Avro `Event`s (a person, an auction or a bid), as Flink's and
// Beam's setups read one event stream and split it into three views: one
// topic keeps the events in their generated order, as one generator emits
// them, and each query reads only it. Event time is the entity's dateTime.
//
// Output topics are `nexmark-q<N>`. Where the SQL joins or windows, the DSL
// equivalent is said at the query.
import { filter } from 'rxjs';
import { avroSerde, defineAvroSchema, jsonSerde, type AvroValue } from '../../core/schema';
import {
  StreamsBuilder,
  aggregate,
  count,
  flatMapValues,
  groupByKey,
  hopping,
  join,
  mapValues,
  processingTime,
  reduce,
  selectKey,
  session,
  to,
  tumbling,
  type EmitMode,
  type KStream,
  type Topology,
} from '../../dsl';
import { DEFAULT_CONFIG, maxAuctionLengthMs } from './generator';
import { EVENTS_TOPIC, bidSerde, eventSerde, eventTime, type Auction, type Bid, type Event, type Person } from './model';

export const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q11', 'q12'] as const;
export type QueryName = (typeof QUERIES)[number];

export const outputTopic = (q: QueryName) => `nexmark-${q}`;

export interface NexmarkOptions {
  /** Default `nexmark-<query>`. */
  applicationId?: string;
  /**
   * How far out of order events may arrive and still count (grace of every
   * window and join). Flink's Nexmark declares its watermark 4 s behind the
   * largest dateTime; default 4000.
   */
  graceMs?: number;
  /** Window size of q5, q7, q8, q12 and session gap of q11 (Nexmark: 10 s). */
  windowMs?: number;
  /** q5's hop (Flink's Nexmark: 2 s). */
  hopMs?: number;
  /** The longest auction (bounds the auction-bid join of q4 and q6); default: the generator's default config's. */
  maxAuctionLengthMs?: number;
  /** q12: 'final' (default, one count per window, as Flink emits it) or 'update'. */
  q12Emit?: EmitMode;
  /**
   * Windows emitted when they close (q4-q8, q11, q12) also close on the wall
   * clock after this long without records (closeAfterIdleMs of the DSL), so a
   * finite input's last windows are emitted too.
   */
  closeAfterIdleMs?: number;
}

/** A join with no time bound in practice (Flink's regular join): 100 years either side. */
const UNBOUNDED_MS = 100 * 365 * 24 * 3600 * 1000;
const num = jsonSerde<number>();
/** Keys of the events topic and of the outputs that keep them: absent. */
const noKey = jsonSerde<number | null>();

// ---- Output records (Avro) ----

const record = <F extends readonly { name: string; type: unknown }[]>(name: string, fields: F) =>
  defineAvroSchema({ type: 'record', name, namespace: 'rill.nexmark', fields });

export const Q1Schema = record('BidInEuro', [
  { name: 'auction', type: 'long' },
  { name: 'bidder', type: 'long' },
  { name: 'price', type: 'double' },
  { name: 'dateTime', type: 'long' },
  { name: 'extra', type: 'string' },
] as const);
export const Q2Schema = record('AuctionPrice', [
  { name: 'auction', type: 'long' },
  { name: 'price', type: 'long' },
] as const);
export const Q3Schema = record('LocalItem', [
  { name: 'name', type: 'string' },
  { name: 'city', type: 'string' },
  { name: 'state', type: 'string' },
  { name: 'id', type: 'long' },
] as const);
export const Q4Schema = record('CategoryPrice', [
  { name: 'category', type: 'long' },
  { name: 'avgPrice', type: 'double' },
  { name: 'auctions', type: 'long' },
] as const);
export const Q5Schema = record('HotItems', [
  { name: 'starttime', type: 'long' },
  { name: 'endtime', type: 'long' },
  { name: 'num', type: 'long' },
  { name: 'auctions', type: { type: 'array', items: 'long' } },
] as const);
export const Q6Schema = record('SellerPrice', [
  { name: 'seller', type: 'long' },
  { name: 'avgPrice', type: 'double' },
  { name: 'auctions', type: 'long' },
] as const);
export const Q8Schema = record('NewUser', [
  { name: 'id', type: 'long' },
  { name: 'name', type: 'string' },
  { name: 'starttime', type: 'long' },
] as const);
export const BidCountSchema = record('BidderCount', [
  { name: 'bidder', type: 'long' },
  { name: 'bidCount', type: 'long' },
  { name: 'starttime', type: 'long' },
  { name: 'endtime', type: 'long' },
] as const);

export type Q1Result = AvroValue<typeof Q1Schema>;
export type Q2Result = AvroValue<typeof Q2Schema>;
export type Q3Result = AvroValue<typeof Q3Schema>;
export type Q4Result = AvroValue<typeof Q4Schema>;
export type Q5Result = AvroValue<typeof Q5Schema>;
export type Q6Result = AvroValue<typeof Q6Schema>;
export type Q8Result = AvroValue<typeof Q8Schema>;
export type BidCount = AvroValue<typeof BidCountSchema>;

/** Key and value serdes of each query's output topic (keys are JSON numbers, or absent). */
export const outputSerdes = {
  q0: bidSerde(),
  q1: avroSerde(Q1Schema),
  q2: avroSerde(Q2Schema),
  q3: avroSerde(Q3Schema),
  q4: avroSerde(Q4Schema),
  q5: avroSerde(Q5Schema),
  q6: avroSerde(Q6Schema),
  q7: bidSerde(),
  q8: avroSerde(Q8Schema),
  q11: avroSerde(BidCountSchema),
  q12: avroSerde(BidCountSchema),
};
export const outputKeySerde = num;

/** The best bid of an auction that closed (q4, q6). */
export interface WinningBid {
  auction: number;
  seller: number;
  category: number;
  expires: number;
  price: number;
}

// ---- Sources ----

interface Views {
  persons: KStream<number | null, Person>;
  auctions: KStream<number | null, Auction>;
  bids: KStream<number | null, Bid>;
}

/** The events topic, split into the three views the queries read. */
function views(b: StreamsBuilder): Views {
  const events = b.stream<number | null, Event>(EVENTS_TOPIC, { key: noKey, value: eventSerde(), timestamp: (r) => eventTime(r.value) });
  return {
    persons: events.pipe(
      filter((r) => r.value.person !== null),
      mapValues((e: Event) => e.person!),
    ),
    auctions: events.pipe(
      filter((r) => r.value.auction !== null),
      mapValues((e: Event) => e.auction!),
    ),
    bids: events.pipe(
      filter((r) => r.value.bid !== null),
      mapValues((e: Event) => e.bid!),
    ),
  };
}

const windowStart = (t: number, size: number) => t - (((t % size) + size) % size);

// ---- Queries ----

type Query = (b: StreamsBuilder, v: Views, o: Required<Omit<NexmarkOptions, 'applicationId' | 'closeAfterIdleMs'>> & NexmarkOptions) => void;

/** q0, pass-through: every bid as it is (measures the framework's own cost). */
const q0: Query = (_b, { bids }) => {
  bids.pipe(to(outputTopic('q0'), { key: noKey, value: outputSerdes.q0 }));
};

/** q1, currency conversion: bid prices from dollars to euros (× 0.908). */
const q1: Query = (_b, { bids }) => {
  bids.pipe(
    mapValues((bid): Q1Result => ({ auction: bid.auction, bidder: bid.bidder, price: 0.908 * bid.price, dateTime: bid.dateTime, extra: bid.extra })),
    to(outputTopic('q1'), { key: noKey, value: outputSerdes.q1 }),
  );
};

/** q2, selection: auction and price of the bids on auctions whose id is a multiple of 123 (Flink's MOD(auction, 123) = 0). */
const q2: Query = (_b, { bids }) => {
  bids.pipe(
    filter((r) => r.value.auction % 123 === 0),
    mapValues((bid): Q2Result => ({ auction: bid.auction, price: bid.price })),
    to(outputTopic('q2'), { key: noKey, value: outputSerdes.q2 }),
  );
};

/**
 * q3, local item suggestion: sellers in OR, ID or CA and their auctions in
 * category 10. Flink's is a regular (unbounded) join: here a stream-stream
 * join of the filtered persons (by id) and auctions (by seller) with a
 * window no run reaches, so either side may come first.
 */
const q3: Query = (_b, { persons, auctions }) => {
  const sellers = persons.pipe(
    filter((r) => r.value.state === 'OR' || r.value.state === 'ID' || r.value.state === 'CA'),
    selectKey((r) => r.value.id, { keySerde: num }),
    groupByKey(),
  );
  auctions.pipe(
    filter((r) => r.value.category === 10),
    selectKey((r) => r.value.seller, { keySerde: num }),
    join(sellers, (auction, person): Q3Result => ({ name: person.name, city: person.city, state: person.state, id: auction.id }), {
      window: { beforeMs: UNBOUNDED_MS },
      stores: { left: 'q3-auctions', right: 'q3-sellers' },
    }),
    to(outputTopic('q3'), { key: num, value: outputSerdes.q3 }),
  );
};

/**
 * The highest bid of each auction among its bids between its dateTime and
 * its expiry (Flink's q4/q6 inner query `MAX(B.price) ... WHERE A.id =
 * B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires GROUP BY A.id`),
 * once per auction: bids (by auction) join auctions (by id) within the
 * longest auction, then a session window per auction whose gap is that
 * length holds all of an auction's bids and emits the maximum once it closes.
 */
function winningBids(
  bids: KStream<number | null, Bid>,
  auctions: KStream<number | null, Auction>,
  o: { graceMs: number; maxAuctionLengthMs: number; closeAfterIdleMs?: number },
  prefix: string,
): KStream<number, WinningBid> {
  const longest = o.maxAuctionLengthMs;
  const auctionsById = auctions.pipe(
    selectKey((r) => r.value.id, { keySerde: num }),
    groupByKey(),
  );
  return bids.pipe(
    selectKey((r) => r.value.auction, { keySerde: num }),
    join(
      auctionsById,
      (bid, a): WinningBid & { dateTime: number } => ({
        auction: a.id,
        seller: a.seller,
        category: a.category,
        expires: a.expires,
        price: bid.price,
        dateTime: bid.dateTime,
      }),
      {
        window: { beforeMs: longest, afterMs: 0, graceMs: o.graceMs },
        stores: { left: `${prefix}-bids`, right: `${prefix}-auctions` },
      },
    ),
    filter((r) => r.value.dateTime <= r.value.expires),
    reduce((best, bid) => (bid.price > best.price ? bid : best), {
      store: `${prefix}-best-bid`,
      window: session(longest, { graceMs: o.graceMs }),
      emit: 'final',
      closeAfterIdleMs: o.closeAfterIdleMs,
    }),
    filter((r) => r.value !== null),
    selectKey((r) => r.key.key, { keySerde: num }),
    mapValues((w): WinningBid => ({ auction: w!.auction, seller: w!.seller, category: w!.category, expires: w!.expires, price: w!.price })),
  );
}

/** q4, average price per category: the average winning price of the closed auctions of each category (an update per auction). */
const q4: Query = (_b, { bids, auctions }, o) => {
  winningBids(bids, auctions, o, 'q4').pipe(
    selectKey((r) => r.value.category, { keySerde: num }),
    aggregate(
      () => ({ sum: 0, count: 0 }),
      (_category, w, a) => ({ sum: a.sum + w.price, count: a.count + 1 }),
      { store: 'q4-price-per-category' },
    ),
    mapValues((a, category): Q4Result => ({ category, avgPrice: a.sum / a.count, auctions: a.count })),
    to(outputTopic('q4'), { key: num, value: outputSerdes.q4 }),
  );
};

/**
 * q5, hot items: per hopping window (10 s, every 2 s), the auctions with the
 * most bids. Bids are counted per auction and window (final counts), then
 * grouped by window, keeping the largest count and its auctions: the latest
 * result per window is the answer.
 */
const q5: Query = (_b, { bids }, o) => {
  bids.pipe(
    selectKey((r) => r.value.auction, { keySerde: num }),
    count({ store: 'q5-bids-per-auction', window: hopping(o.windowMs, o.hopMs, { graceMs: o.graceMs }), emit: 'final', closeAfterIdleMs: o.closeAfterIdleMs }),
    mapValues((n, w) => ({ auction: w.key, num: n, starttime: w.window.start, endtime: w.window.end })),
    selectKey((r) => r.value.starttime, { keySerde: num }),
    aggregate(
      (): Q5Result => ({ starttime: 0, endtime: 0, num: 0, auctions: [] }),
      (_start, c, top) =>
        c.num > top.num
          ? { starttime: c.starttime, endtime: c.endtime, num: c.num, auctions: [c.auction] }
          : c.num === top.num
            ? { ...top, auctions: [...top.auctions, c.auction].sort((x, y) => x - y) }
            : top,
      { store: 'q5-hot-items' },
    ),
    to(outputTopic('q5'), { key: num, value: outputSerdes.q5 }),
  );
};

/** How many closed auctions q6 averages per seller. */
export const Q6_LAST_AUCTIONS = 10;

/**
 * q6, average selling price by seller: per seller, the average winning price
 * of their last 10 closed auctions (latest by expiry, then auction id, so the
 * result does not depend on the order in which closed auctions arrive).
 */
const q6: Query = (_b, { bids, auctions }, o) => {
  winningBids(bids, auctions, o, 'q6').pipe(
    selectKey((r) => r.value.seller, { keySerde: num }),
    aggregate(
      (): WinningBid[] => [],
      (_seller, w, last) => [...last, w].sort((x, y) => y.expires - x.expires || y.auction - x.auction).slice(0, Q6_LAST_AUCTIONS),
      { store: 'q6-last-auctions' },
    ),
    mapValues((last, seller): Q6Result => ({ seller, avgPrice: last.reduce((s, w) => s + w.price, 0) / last.length, auctions: last.length })),
    to(outputTopic('q6'), { key: num, value: outputSerdes.q6 }),
  );
};

/**
 * q7, highest bid: per tumbling 10 s window, the bids with the highest price
 * (all of them on a tie), as Beam's SQL q7 joins each window's bids with the
 * window's MAX(price); Flink's variant matches bids in the band [rowtime -
 * 10 s, rowtime] instead, which also takes in the previous window's last
 * millisecond. One global group (`GROUP BY TUMBLE(...)` without a key): all
 * bids go to one task.
 */
const q7: Query = (_b, { bids }, o) => {
  bids.pipe(
    selectKey(() => 0, { keySerde: num }),
    aggregate(
      () => ({ price: -1, bids: [] as Bid[] }),
      (_k, bid, top) =>
        bid.price > top.price ? { price: bid.price, bids: [bid] } : bid.price === top.price ? { price: top.price, bids: [...top.bids, bid] } : top,
      { store: 'q7-highest-bid', window: tumbling(o.windowMs, { graceMs: o.graceMs }), emit: 'final', closeAfterIdleMs: o.closeAfterIdleMs },
    ),
    flatMapValues((top) => top.bids),
    selectKey((r) => r.value.auction, { keySerde: num }),
    to(outputTopic('q7'), { key: num, value: outputSerdes.q7 }),
  );
};

/**
 * q8, monitor new users: persons who opened an auction in the same tumbling
 * 10 s window as they registered. Flink joins two windowed GROUP BYs on
 * (id = seller, window); here persons (by id) join auctions (by seller)
 * within ±10 s, keep the pairs in the same window, and a tumbling window per
 * person emits each (person, window) once.
 */
const q8: Query = (_b, { persons, auctions }, o) => {
  const size = o.windowMs;
  const personsById = persons.pipe(
    selectKey((r) => r.value.id, { keySerde: num }),
    groupByKey(),
  );
  auctions.pipe(
    selectKey((r) => r.value.seller, { keySerde: num }),
    join(personsById, (a, p) => ({ id: p.id, name: p.name, starttime: windowStart(p.dateTime, size), auctionStart: windowStart(a.dateTime, size) }), {
      window: { beforeMs: size, graceMs: o.graceMs },
      stores: { left: 'q8-auctions', right: 'q8-persons' },
    }),
    filter((r) => r.value.starttime === r.value.auctionStart),
    mapValues((m): Q8Result => ({ id: m.id, name: m.name, starttime: m.starttime })),
    reduce((first) => first, { store: 'q8-new-users', window: tumbling(size, { graceMs: o.graceMs }), emit: 'final', closeAfterIdleMs: o.closeAfterIdleMs }),
    selectKey((r) => r.key.key, { keySerde: num }),
    to(outputTopic('q8'), { key: num, value: outputSerdes.q8 }),
  );
};

/** q11, user sessions: bids per bidder per session (10 s of inactivity ends one); endtime is the last bid + the gap, as Flink's SESSION_END. */
const q11: Query = (_b, { bids }, o) => {
  bids.pipe(
    selectKey((r) => r.value.bidder, { keySerde: num }),
    count({ store: 'q11-sessions', window: session(o.windowMs, { graceMs: o.graceMs }), emit: 'final', closeAfterIdleMs: o.closeAfterIdleMs }),
    filter((r) => r.value !== null),
    mapValues((n, w): BidCount => ({ bidder: w.key, bidCount: n!, starttime: w.window.start, endtime: w.window.end + o.windowMs })),
    selectKey((r) => r.value.bidder, { keySerde: num }),
    to(outputTopic('q11'), { key: num, value: outputSerdes.q11 }),
  );
};

/**
 * q12, processing-time windows: bids per bidder per tumbling 10 s window of
 * processing time. processingTime() stamps each bid with the task's wall
 * clock; in the TopologyTestDriver that clock moves only when the test
 * advances it, which makes the windows deterministic in tests.
 */
const q12: Query = (_b, { bids }, o) => {
  bids.pipe(
    processingTime(),
    selectKey((r) => r.value.bidder, { keySerde: num }),
    count({ store: 'q12-bids-per-bidder', window: tumbling(o.windowMs), emit: o.q12Emit, closeAfterIdleMs: o.closeAfterIdleMs }),
    mapValues((n, w): BidCount => ({ bidder: w.key, bidCount: n, starttime: w.window.start, endtime: w.window.end })),
    selectKey((r) => r.value.bidder, { keySerde: num }),
    to(outputTopic('q12'), { key: num, value: outputSerdes.q12 }),
  );
};

const QUERY_BUILDERS: Record<QueryName, Query> = { q0, q1, q2, q3, q4, q5, q6, q7, q8, q11, q12 };

/** The topology of one Nexmark query. */
export function nexmarkQuery(query: QueryName, options: NexmarkOptions = {}): Topology {
  const b = new StreamsBuilder(options.applicationId ?? `nexmark-${query}`);
  const o = {
    graceMs: 4_000,
    windowMs: 10_000,
    hopMs: 2_000,
    maxAuctionLengthMs: maxAuctionLengthMs(DEFAULT_CONFIG),
    q12Emit: 'final' as EmitMode,
    ...options,
  };
  QUERY_BUILDERS[query](b, views(b), o);
  return b.build();
}

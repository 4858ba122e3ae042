// A seeded, deterministic Nexmark event generator, following the generator of
// the Beam and Flink Nexmark suites (GeneratorConfig, PersonGenerator,
// AuctionGenerator, BidGenerator):
//
// - Event n has id n; `id % 50` picks its kind: 0 a person, 1-3 an auction,
//   4-49 a bid (proportions 1 : 3 : 46).
// - Event time: baseTime + n * interEventDelay, interEventDelay = 1 s / rate
//   (one generator, no out-of-order groups: event time grows with the id).
// - Ids: persons and auctions are numbered from 1000 in creation order.
//   Sellers and bidders are hot (3 in 4, hotSellersRatio/hotBiddersRatio = 4:
//   the first, resp. second, person of the latest batch of 100) or drawn from
//   the last numActivePeople (1000) persons plus a lead of 10 not yet created.
//   A bid's auction is hot (1 in 2, hotAuctionRatio = 2: the first auction of
//   the latest batch of 100) or drawn from the last numInFlightAuctions (100)
//   auctions plus a lead of 10.
// - An auction lasts 1 + [0, 2 * horizon) ms, horizon being the event time it
//   takes to create numInFlightAuctions more auctions.
// - Prices are 100 * 10^(6u) cents, rounded; reserve = initialBid + a price.
// - Strings, cities, states, channels and `extra` padding (to an average
//   event size of 200/500/100 bytes) as in the suites.
//
// The random source differs (a seeded 32-bit generator per event, instead of
// java.util.Random(eventId)), so the exact values differ from Java's while
// following the same distributions; the same seed always gives the same events.
// Flink's BidGenerator adds FIRST_PERSON_ID to the bidder twice (a known slip);
// this one adds it once, as Beam does, so bidders are person ids.
import type { Auction, Bid, Event, Person } from './model';

export interface GeneratorConfig {
  seed: number;
  /** Events per second of event time (Nexmark's firstEventRate, default 10 000). */
  eventsPerSecond: number;
  /** Event time of event 0 (ms since epoch). */
  baseTime: number;
  numActivePeople: number;
  numInFlightAuctions: number;
  hotAuctionRatio: number;
  hotSellersRatio: number;
  hotBiddersRatio: number;
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
}

export const DEFAULT_CONFIG: GeneratorConfig = {
  seed: 1,
  eventsPerSecond: 10_000,
  baseTime: Date.UTC(2026, 0, 1),
  numActivePeople: 1000,
  numInFlightAuctions: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
};

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;
const HOT_AUCTION_RATIO = 100;
const HOT_SELLER_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];

/** A small seeded generator (mulberry32), one per event: event n's values depend only on (seed, n). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.next() * bound);
  }
}

function eventRandom(seed: number, eventId: number): Random {
  // splitmix-style mixing of (seed, id) so neighbouring ids get unrelated streams.
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(eventId, 0xc2b2ae35) ^ Math.floor(eventId / 4294967296);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return new Random(h ^ (h >>> 16));
}

/** Event time of event n. */
export function timestampOf(config: GeneratorConfig, n: number): number {
  return config.baseTime + Math.floor((n * 1000) / config.eventsPerSecond);
}

/** The id (base 0) of the last person created at or before event `eventId`. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / TOTAL_PROPORTION);
  const offset = Math.min(eventId % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + offset;
}

/** The id (base 0) of the last auction created at or before event `eventId`. */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / TOTAL_PROPORTION);
  let offset = eventId % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

function nextBase0PersonId(eventId: number, random: Random, config: GeneratorConfig): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const activePeople = Math.min(numPeople, config.numActivePeople);
  return numPeople - activePeople + random.nextInt(activePeople + PERSON_ID_LEAD);
}

function nextBase0AuctionId(eventId: number, random: Random, config: GeneratorConfig): number {
  const maxAuction = lastBase0AuctionId(eventId);
  const minAuction = Math.max(maxAuction - config.numInFlightAuctions, 0);
  return minAuction + random.nextInt(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

function nextPrice(random: Random): number {
  return Math.round(10 ** (random.next() * 6) * 100);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const POOL_SIZE = 1 << 16;
const pools = new Map<string, string>();

/**
 * Random text as the suites make it (letters, about 1 in 13 a `special`
 * character), cut from a 64 KiB pool made once from a fixed seed at a random
 * offset: one draw per string instead of two per character.
 */
function exactString(random: Random, length: number, special = ' '): string {
  let pool = pools.get(special);
  if (!pool) {
    const r = new Random(0x2545f491);
    const chars: string[] = [];
    for (let i = 0; i < POOL_SIZE; i++) chars.push(r.nextInt(13) === 0 ? special : LETTERS[r.nextInt(26)]);
    pools.set(special, (pool = chars.join('')));
  }
  if (length >= POOL_SIZE) return pool.repeat(Math.ceil(length / POOL_SIZE)).slice(0, length);
  const at = random.nextInt(POOL_SIZE - length);
  return pool.slice(at, at + length);
}

/** A string of 3 to maxLength - 1 characters. */
function nextString(random: Random, maxLength: number, special = ' '): string {
  return exactString(random, 3 + random.nextInt(maxLength - 3), special);
}

/** Padding that brings an event to about `desiredAverageSize` bytes (±20 %). */
function nextExtra(random: Random, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const rest = desiredAverageSize - currentSize;
  const delta = Math.round(rest * 0.2);
  const size = rest - delta + (delta === 0 ? 0 : random.nextInt(2 * delta));
  return exactString(random, size);
}

function nextPerson(id: number, random: Random, timestamp: number, config: GeneratorConfig): Person {
  const name = `${FIRST_NAMES[random.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[random.nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(random, 7)}@${nextString(random, 5)}.com`;
  const creditCard = [0, 1, 2, 3].map(() => String(random.nextInt(10000)).padStart(4, '0')).join(' ');
  const city = US_CITIES[random.nextInt(US_CITIES.length)];
  const state = US_STATES[random.nextInt(US_STATES.length)];
  const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra: nextExtra(random, size, config.avgPersonByteSize) };
}

/**
 * The longest an auction can last under `config`: 2 * horizon, the horizon
 * being the event time numInFlightAuctions auctions take to be created.
 */
export function maxAuctionLengthMs(config: GeneratorConfig): number {
  // The horizon of event n differs from event 0's by at most 1 ms of rounding.
  return 2 * (horizonMs(config, 0) + 1) + 1;
}

function horizonMs(config: GeneratorConfig, eventNumber: number): number {
  const eventsForAuctions = Math.floor((config.numInFlightAuctions * TOTAL_PROPORTION) / AUCTION_PROPORTION);
  return timestampOf(config, eventNumber + eventsForAuctions) - timestampOf(config, eventNumber);
}

function nextAuction(eventId: number, random: Random, timestamp: number, config: GeneratorConfig): Auction {
  const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
  let seller: number;
  if (random.nextInt(config.hotSellersRatio) > 0) seller = Math.floor(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
  else seller = nextBase0PersonId(eventId, random, config);
  seller += FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(random);
  const expires = timestamp + 1 + random.nextInt(Math.max(2 * horizonMs(config, eventId), 1));
  const itemName = nextString(random, 20);
  const description = nextString(random, 100);
  const reserve = initialBid + nextPrice(random);
  const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  return {
    id,
    itemName,
    description,
    initialBid,
    reserve,
    dateTime: timestamp,
    expires,
    seller,
    category,
    extra: nextExtra(random, size, config.avgAuctionByteSize),
  };
}

function baseUrl(random: Random): string {
  return `https://www.nexmark.com/${nextString(random, 5, '_')}/${nextString(random, 5, '_')}/${nextString(random, 5, '_')}/item.htm?query=1`;
}

/** Channel n and its URL: fixed per generator seed, like the suites' channel cache. */
const channels = new Map<string, [string, string]>();

function channelAndUrl(seed: number, n: number): [string, string] {
  const id = `${seed}|${n}`;
  let found = channels.get(id);
  if (!found) channels.set(id, (found = makeChannel(seed, n)));
  return found;
}

function makeChannel(seed: number, n: number): [string, string] {
  const random = eventRandom(seed ^ 0x5bd1e995, n);
  let url = baseUrl(random);
  if (random.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits(n))}`;
  return [`channel-${n}`, url];
}

function reverseBits(i: number): number {
  let r = 0;
  for (let b = 0; b < 32; b++) r = (r << 1) | ((i >>> b) & 1);
  return r | 0;
}

function nextBid(eventId: number, random: Random, timestamp: number, config: GeneratorConfig, hotUrls: string[]): Bid {
  let auction: number;
  if (random.nextInt(config.hotAuctionRatio) > 0) auction = Math.floor(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
  else auction = nextBase0AuctionId(eventId, random, config);
  auction += FIRST_AUCTION_ID;
  let bidder: number;
  if (random.nextInt(config.hotBiddersRatio) > 0) bidder = Math.floor(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
  else bidder = nextBase0PersonId(eventId, random, config);
  bidder += FIRST_PERSON_ID;
  const price = nextPrice(random);
  let channel: string;
  let url: string;
  if (random.nextInt(HOT_CHANNELS_RATIO) > 0) {
    const i = random.nextInt(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[i];
    url = hotUrls[i];
  } else {
    [channel, url] = channelAndUrl(config.seed, random.nextInt(CHANNELS_NUMBER));
  }
  return { auction, bidder, price, channel, url, dateTime: timestamp, extra: nextExtra(random, 8 + 8 + 8 + 8, config.avgBidByteSize) };
}

/** Generates Nexmark events from a config; `event(n)` is a pure function of (config, n). */
export class NexmarkGenerator {
  readonly config: GeneratorConfig;
  private readonly hotUrls: string[];

  constructor(config: Partial<GeneratorConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    const random = eventRandom(this.config.seed, -1);
    this.hotUrls = HOT_CHANNELS.map(() => baseUrl(random));
  }

  event(n: number): Event {
    const random = eventRandom(this.config.seed, n);
    const timestamp = timestampOf(this.config, n);
    const rem = n % TOTAL_PROPORTION;
    if (rem < PERSON_PROPORTION)
      return { person: nextPerson(lastBase0PersonId(n) + FIRST_PERSON_ID, random, timestamp, this.config), auction: null, bid: null };
    if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return { person: null, auction: nextAuction(n, random, timestamp, this.config), bid: null };
    return { person: null, auction: null, bid: nextBid(n, random, timestamp, this.config, this.hotUrls) };
  }

  /** Events [from, from + count). */
  *events(count: number, from = 0): IterableIterator<Event> {
    for (let n = from; n < from + count; n++) yield this.event(n);
  }
}

/** `count` events of a generator with the given config (convenience for tests and benches). */
export function generateEvents(count: number, config: Partial<GeneratorConfig> = {}): Event[] {
  return [...new NexmarkGenerator(config).events(count)];
}

// Nexmark's three event types (persons, auctions, bids) as Avro records, and
// the one event a topic carries: a union of the three, as the Flink and Beam
// suites model it (Flink's `datagen` table and Beam's `Event` both hold one
// event per row with exactly one of person/auction/bid set).
import { avroSerde, defineAvroSchema, type AvroValue } from '../../core/schema';

export const PersonSchema = defineAvroSchema({
  type: 'record',
  name: 'Person',
  namespace: 'rill.nexmark',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'emailAddress', type: 'string' },
    { name: 'creditCard', type: 'string' },
    { name: 'city', type: 'string' },
    { name: 'state', type: 'string' },
    { name: 'dateTime', type: 'long' },
    { name: 'extra', type: 'string' },
  ],
});

export const AuctionSchema = defineAvroSchema({
  type: 'record',
  name: 'Auction',
  namespace: 'rill.nexmark',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'itemName', type: 'string' },
    { name: 'description', type: 'string' },
    { name: 'initialBid', type: 'long' },
    { name: 'reserve', type: 'long' },
    { name: 'dateTime', type: 'long' },
    { name: 'expires', type: 'long' },
    { name: 'seller', type: 'long' },
    { name: 'category', type: 'long' },
    { name: 'extra', type: 'string' },
  ],
});

export const BidSchema = defineAvroSchema({
  type: 'record',
  name: 'Bid',
  namespace: 'rill.nexmark',
  fields: [
    { name: 'auction', type: 'long' },
    { name: 'bidder', type: 'long' },
    { name: 'price', type: 'long' },
    { name: 'channel', type: 'string' },
    { name: 'url', type: 'string' },
    { name: 'dateTime', type: 'long' },
    { name: 'extra', type: 'string' },
  ],
});

/** One Nexmark event: exactly one of person, auction, bid is set. */
export const EventSchema = defineAvroSchema({
  type: 'record',
  name: 'Event',
  namespace: 'rill.nexmark',
  fields: [
    { name: 'person', type: ['null', PersonSchema.definition] },
    { name: 'auction', type: ['null', AuctionSchema.definition] },
    { name: 'bid', type: ['null', BidSchema.definition] },
  ],
});

export type Person = AvroValue<typeof PersonSchema>;
export type Auction = AvroValue<typeof AuctionSchema>;
export type Bid = AvroValue<typeof BidSchema>;
export interface Event {
  person: Person | null;
  auction: Auction | null;
  bid: Bid | null;
}

export const eventSerde = () => avroSerde<Event>(EventSchema as never);
export const bidSerde = () => avroSerde(BidSchema);

/** The event time of an event: its entity's dateTime. */
export function eventTime(e: Event): number {
  return e.bid?.dateTime ?? e.auction?.dateTime ?? e.person!.dateTime;
}

export const EVENTS_TOPIC = 'nexmark-events';

// Brokers joining, heartbeating and being fenced (KIP-631). A registration gets
// a fresh broker epoch; every later request carries it, and one from an older
// incarnation is refused with STALE_BROKER_EPOCH. A new broker starts fenced and
// is unfenced once it reports having caught up with the metadata log; a broker
// whose session expires is fenced: it leaves every ISR and leads nothing.
import * as E from 'fp-ts/Either';
import { ErrorCode, refusal, type Refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { BrokerListener, MetadataRecord } from '../metadata/records';
import { accept, imageAfter, type Decision } from './decision';
import { electLeaderless, removeFromIsrs } from './partition-change';

const MAX_RACK_LENGTH = 255;

/** broker.rack: 1 to 255 printable characters (it is shown in tools and compared for placement). */
export function validRack(rack: string): boolean {
  return rack.length > 0 && rack.length <= MAX_RACK_LENGTH && /^[\x21-\x7e]+$/.test(rack);
}

export interface RegisterBrokerRequest {
  readonly brokerId: number;
  readonly rack: string | null;
  readonly host: string;
  readonly port: number;
  /** Its Kafka listeners by name, when it has several (or a named one). */
  readonly listeners?: readonly BrokerListener[];
}

/** A broker has a few listeners (Kafka allows one per name); more is a bad request. */
const MAX_LISTENERS = 16;

/** Why a registration's listeners are not valid, or undefined. */
function listenersProblem(listeners: unknown): string | undefined {
  if (listeners === undefined) return undefined;
  if (!Array.isArray(listeners) || listeners.length > MAX_LISTENERS) return `listeners must be a list of at most ${MAX_LISTENERS}`;
  const names = new Set<string>();
  for (const l of listeners as Partial<BrokerListener>[]) {
    if (typeof l?.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(l.name) || names.has(l.name))
      return `listener name ${JSON.stringify(l?.name)} is not valid or repeats`;
    names.add(l.name);
    if (typeof l.host !== 'string' || l.host.length > 255 || !Number.isInteger(l.port) || l.port! < 1 || l.port! > 65535)
      return `listener ${l.name} needs a host and a port from 1 to 65535`;
  }
  return undefined;
}

export function registerBroker(image: MetadataImage, req: RegisterBrokerRequest): Decision<{ brokerEpoch: number }> {
  if (!Number.isInteger(req.brokerId) || req.brokerId < 0) {
    return E.left(refusal(ErrorCode.INVALID_REQUEST, `Broker id ${req.brokerId} is not a non-negative integer; set node.id.`));
  }
  if (req.rack !== null && (typeof req.rack !== 'string' || !validRack(req.rack))) {
    return E.left(
      refusal(ErrorCode.INVALID_REQUEST, `Rack ${JSON.stringify(req.rack)} is not valid: give 1 to ${MAX_RACK_LENGTH} printable characters, or no rack.`),
    );
  }
  const badListeners = listenersProblem(req.listeners);
  if (badListeners !== undefined) return E.left(refusal(ErrorCode.INVALID_REQUEST, `Broker ${req.brokerId}: ${badListeners}.`));
  const brokerEpoch = image.lastBrokerEpoch + 1;
  const register: MetadataRecord = { type: 'RegisterBroker', brokerEpoch, ...req };
  // A new incarnation may have lost what the old one had (KIP-903): it leaves
  // every ISR now and rejoins by catching up, never by its old standing.
  const after = imageAfter(image, [register]);
  return accept([register, ...removeFromIsrs(after, req.brokerId)], { brokerEpoch });
}

export interface BrokerHeartbeatRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  /** The broker's metadata image holds its own registration: it may be unfenced. */
  readonly caughtUp: boolean;
  /** Controlled shutdown: the broker asks to be fenced now. */
  readonly wantFence?: boolean;
}

export interface BrokerHeartbeatResponse {
  readonly fenced: boolean;
}

/** The request comes from the broker's current registration (its epoch), else STALE_BROKER_EPOCH. */
export function checkBrokerEpoch(image: MetadataImage, brokerId: number, brokerEpoch: number): E.Either<Refusal, void> {
  const registered = image.brokers.get(brokerId);
  if (registered === undefined) {
    return E.left(refusal(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${brokerId} is not registered; register before sending heartbeats.`));
  }
  if (registered.brokerEpoch !== brokerEpoch) {
    return E.left(
      refusal(
        ErrorCode.STALE_BROKER_EPOCH,
        `Broker ${brokerId} epoch ${brokerEpoch} is not the registered epoch ${registered.brokerEpoch}; this incarnation was replaced, re-register.`,
      ),
    );
  }
  return E.right(undefined);
}

export function brokerHeartbeat(image: MetadataImage, req: BrokerHeartbeatRequest): Decision<BrokerHeartbeatResponse> {
  const checked = checkBrokerEpoch(image, req.brokerId, req.brokerEpoch);
  if (E.isLeft(checked)) return checked;
  const fenced = image.brokers.get(req.brokerId)!.fenced;
  if (req.wantFence && !fenced) return fenceBroker(image, req.brokerId, req.brokerEpoch);
  if (fenced && req.caughtUp && !req.wantFence) {
    const unfence: MetadataRecord = { type: 'UnfenceBroker', brokerId: req.brokerId, brokerEpoch: req.brokerEpoch };
    // Partitions left leaderless while every ISR member was away can resume.
    return accept([unfence, ...electLeaderless(imageAfter(image, [unfence]))], { fenced: false });
  }
  return accept([], { fenced });
}

/** Fences `brokerId` (session expired or controlled shutdown), moving its leaderships. */
export function fenceBroker(image: MetadataImage, brokerId: number, brokerEpoch: number): Decision<BrokerHeartbeatResponse> {
  const checked = checkBrokerEpoch(image, brokerId, brokerEpoch);
  if (E.isLeft(checked)) return checked;
  if (image.brokers.get(brokerId)!.fenced) return accept([], { fenced: true });
  const fence: MetadataRecord = { type: 'FenceBroker', brokerId, brokerEpoch };
  return accept([fence, ...removeFromIsrs(imageAfter(image, [fence]), brokerId)], { fenced: true });
}

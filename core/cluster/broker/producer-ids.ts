// Producer ids for InitProducerId on a cluster broker: unique cluster-wide and
// never reused, without a controller round trip per call.
//
// Why not Kafka's way (KIP-730: the controller hands out blocks of ids through
// the metadata log): a broker already holds a number that is unique cluster-wide
// and never reused, its broker epoch. The controller gives every registration
// the next epoch after the highest one ever given (EpochCounters keeps it across
// snapshots), and the broker uses it only once its own registration is in its
// committed image. So epoch E owns the ids [E * BLOCK, (E + 1) * BLOCK): no new
// metadata record, no controller call, and a restarted broker (a new epoch)
// can never hand out an id its previous incarnation gave.
// BLOCK = 2^30 ids per incarnation (a thousand new producers a second for 12
// days; then the broker says to restart it) leaves room for 2^23 broker
// registrations below 2^53, the largest integer a JavaScript number (and
// kafkajs) holds exactly: the scarcer of the two, epochs, gets the larger share.
import * as E from 'fp-ts/Either';
import { ErrorCode, refusal, type Refusal } from '../errors';

export const PRODUCER_IDS_PER_BROKER_EPOCH = 2 ** 30;

export class ProducerIdAllocator {
  private brokerEpoch = 0;
  private next = 0;

  /** `blockSize`: ids per broker epoch (smaller only in tests). */
  constructor(private readonly blockSize = PRODUCER_IDS_PER_BROKER_EPOCH) {}

  /** The next producer id of the block of `brokerEpoch` (this broker's committed registration). */
  allocate(brokerEpoch: number): E.Either<Refusal, number> {
    if (!Number.isSafeInteger(brokerEpoch) || brokerEpoch < 1) {
      return E.left(
        refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `No producer id yet: the broker is not registered (broker epoch ${brokerEpoch}); retry once it is.`),
      );
    }
    const start = brokerEpoch * this.blockSize;
    const end = start + this.blockSize;
    if (end > Number.MAX_SAFE_INTEGER + 1) {
      return E.left(
        refusal(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `Broker epoch ${brokerEpoch} is too large to derive producer ids below 2^53 from; the cluster has used up its producer id space.`,
        ),
      );
    }
    if (brokerEpoch !== this.brokerEpoch) {
      this.brokerEpoch = brokerEpoch;
      this.next = start;
    }
    if (this.next >= end) {
      return E.left(
        refusal(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `This broker has handed out all ${this.blockSize} producer ids of broker epoch ${brokerEpoch}; restart it (a new registration gets a new block), or ask another broker.`,
        ),
      );
    }
    return E.right(this.next++);
  }
}

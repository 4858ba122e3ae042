// The bad-record policy, shared by sink and source runners: 'fail' stops the
// connector, 'skip' logs and moves on, a dead-letter topic keeps the raw record
// there (through the LogProducer, acknowledged before anything is committed)
// with the reason and its origin in headers. Every line names the record.
import type { LogProducer } from '../../core/client';
import type { ErrorPolicy, Logger } from '../../dsl';

export interface BadInput {
  /** "topic orders, partition 2, offset 17" or "file in.jsonl, byte 1200". */
  readonly origin: string;
  /** Headers naming the origin in the dead-letter record. */
  readonly originHeaders: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

export type BadRecordOutcome = 'skipped' | 'dead-lettered' | { readonly fail: string };

export class BadRecordHandler {
  constructor(
    private readonly policy: ErrorPolicy,
    private readonly connector: string,
    private readonly logger: Logger,
    private readonly producer: () => LogProducer,
  ) {}

  /** Applies the policy; resolves once a dead-letter write is acknowledged. */
  async dispose(bad: BadInput): Promise<BadRecordOutcome> {
    const what = `connector ${this.connector}: bad record at ${bad.origin}: ${bad.reason}`;
    if (this.policy === 'fail') {
      this.logger.error(`${what} (policy fail: stopping the connector; set badRecords to 'skip' or a dead-letter topic to go on)`);
      return { fail: what };
    }
    if (this.policy === 'skip') {
      this.logger.warn(`${what} (skipped)`);
      return 'skipped';
    }
    const topic = this.policy.deadLetterTopic;
    await this.producer().send(topic, {
      key: bad.key,
      value: bad.value,
      timestamp: bad.timestamp,
      headers: { ...bad.originHeaders, 'rill.error': bad.reason, 'rill.connector': this.connector },
    });
    this.logger.warn(`${what} (written to dead-letter topic ${topic})`);
    return 'dead-lettered';
  }
}

/** Thrown out of a runner's loop when a connector must stop; `done` rejects with it. */
export class ConnectorFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorFailure';
  }
}

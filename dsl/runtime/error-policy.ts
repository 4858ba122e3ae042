// What to do with a record that cannot be processed: a value that does not
// deserialize (deserializationErrors) or user code that throws
// (processingErrors). 'fail' stops the app after committing what was done;
// 'skip' logs and moves on; a dead-letter topic also keeps the record there,
// with the reason and its origin in headers.
export type ErrorPolicy = 'fail' | 'skip' | { readonly deadLetterTopic: string };

export function deadLetterTopicOf(policy: ErrorPolicy): string | undefined {
  return typeof policy === 'object' ? policy.deadLetterTopic : undefined;
}

/** Thrown through the pipeline when the policy is 'fail'; the runtime stops on it. */
export class ProcessingFailure extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ProcessingFailure';
  }
}

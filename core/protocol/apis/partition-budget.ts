// max.partitions.per.request: the partitions one CreateTopics or CreatePartitions
// request may add, all its topics together. Topics are charged in request order;
// one that would pass the limit is refused (POLICY_VIOLATION) and the rest of the
// request goes on. Counts that are not positive are left to the broker to refuse.

export interface PartitionBudget {
  /** Charges `adding` partitions for `topic`; a refusal message when they do not fit. */
  take(topic: string, adding: number): string | undefined;
}

export function partitionBudget(limit: number): PartitionBudget {
  let used = 0;
  return {
    take(topic, adding) {
      if (!Number.isInteger(adding) || adding <= 0) return undefined;
      if (used + adding > limit) {
        return `Topic "${topic}": ${adding} partition(s) would make ${used + adding} in this request, above max.partitions.per.request (${limit}); split the request.`;
      }
      used += adding;
      return undefined;
    },
  };
}

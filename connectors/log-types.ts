// Types of the DSL's LogClient that dsl/index.ts does not export (yet), derived
// from the ones it does, so connectors stay behind the dsl/ door.
import type { LogClient, LogConsumer } from '../dsl';

export type TopicPartition = Parameters<LogConsumer['seek']>[0];
export type FetchedRecord = Awaited<ReturnType<LogClient['fetch']>>['records'][number];

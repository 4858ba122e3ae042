// Rill's public API. Each line opens one module's door (its index.ts).
export * from './core/log';
export * from './core/schema';
export * from './core/client';
export * from './dsl';
export * from './connectors';
// Names more than one module exports: the client's are the public ones.
export type { TopicPartition, RebalanceListener } from './core/client';

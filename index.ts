// Rill's public API. Each line opens one module's door (its index.ts).
export * from './core/log';
export * from './core/schema';
export * from './core/client';
export * from './dsl';

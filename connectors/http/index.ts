// HTTP: a webhook sink and a source that accepts POSTed records.
export { webhookSink, defaultWebhookBody } from './webhook-sink';
export type { WebhookSinkOptions } from './webhook-sink';
export { httpSource, parseRecords } from './http-source';
export type { HttpSource, HttpSourceOptions, HttpPosition } from './http-source';

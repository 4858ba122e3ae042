// Page views per URL per minute: Avro page views (event time from the record's
// viewedAt field), re-keyed by URL, counted in tumbling one-minute windows with
// a 10-second grace period, one final result per window (emit on close). Views
// later than the grace go to page-views-late. Results are Avro records.
import { map } from 'rxjs';
import { avroSerde, defineAvroSchema, stringSerde } from '../../core/schema';
import { StreamsBuilder, count, selectKey, to, tumbling, type Topology } from '../../dsl';

export const PageView = defineAvroSchema({
  type: 'record',
  name: 'PageView',
  namespace: 'rill.examples',
  fields: [
    { name: 'url', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'viewedAt', type: 'long' },
  ],
});

export const PageViewCount = defineAvroSchema({
  type: 'record',
  name: 'PageViewCount',
  namespace: 'rill.examples',
  fields: [
    { name: 'url', type: 'string' },
    { name: 'minuteStart', type: 'long' },
    { name: 'views', type: 'long' },
  ],
});

export const VIEWS = 'page-views';
export const PER_MINUTE = 'page-views-per-minute';
export const LATE = 'page-views-late';
export const MINUTE = 60_000;

export function pageViewsTopology(applicationId = 'page-views'): Topology {
  const builder = new StreamsBuilder(applicationId);
  builder.stream(VIEWS, { key: stringSerde(), value: avroSerde(PageView), timestamp: (r) => r.value.viewedAt }).pipe(
    selectKey((r) => r.value.url, { keySerde: stringSerde() }),
    count({ store: 'views-per-minute', window: tumbling(MINUTE, { graceMs: 10_000 }), emit: 'final', lateRecords: { deadLetterTopic: LATE } }),
    // A plain RxJS operator: windowed count -> an Avro result keyed by URL.
    map((r) => ({ key: r.key.key, value: { url: r.key.key, minuteStart: r.key.window.start, views: r.value }, timestamp: r.timestamp })),
    to(PER_MINUTE, { key: stringSerde(), value: avroSerde(PageViewCount) }),
  );
  return builder.build();
}

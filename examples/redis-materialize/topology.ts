// Page views -> views per page: a counts table (store views-per-page) whose
// changes go to the topic views-per-page, which the Redis sink materializes.
import { jsonSerde, stringSerde } from '../../core/schema';
import { StreamsBuilder, count, selectKey, to, type Topology } from '../../dsl';

export const PAGE_VIEWS = 'page-views';
export const VIEWS_PER_PAGE = 'views-per-page';

export interface PageView {
  readonly page: string;
  readonly user: string;
}

export function viewsPerPageTopology(applicationId = 'views-per-page'): Topology {
  const builder = new StreamsBuilder(applicationId);
  builder.stream(PAGE_VIEWS, { key: stringSerde(), value: jsonSerde<PageView>() }).pipe(
    selectKey((r) => r.value.page, { keySerde: stringSerde() }),
    count({ store: 'views-per-page' }),
    to(VIEWS_PER_PAGE, { key: stringSerde(), value: jsonSerde<number>() }),
  );
  return builder.build();
}

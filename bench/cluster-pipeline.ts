// The application bench/cluster.ts runs on `rill worker` to time task moves:
// a count per key (store "bench-counts", one state entry per distinct key)
// written to an output topic. Loaded by the workers as
// `rill worker --app APP --pipeline bench/cluster-pipeline.ts ...`.
import { jsonSerde, stringSerde } from '../core/schema';
import { StreamsBuilder, count, to, type Topology } from '../dsl';

export const TASK_MOVE_INPUT = 'bench-tm-input';
export const TASK_MOVE_OUTPUT = 'bench-tm-counts';

export function pipeline(app: string): Topology {
  const builder = new StreamsBuilder(app);
  builder
    .stream(TASK_MOVE_INPUT, { key: stringSerde(), value: stringSerde() })
    .pipe(count({ store: 'bench-counts' }), to(TASK_MOVE_OUTPUT, { key: stringSerde(), value: jsonSerde<number>() }));
  return builder.build();
}

// The wordcount pipeline as a `rill worker` loads it:
//   rill worker --app wordcount --pipeline examples/wordcount/pipeline.ts --controllers ... --brokers ...
// The worker calls pipeline(app) and runs the topology on the partitions the controller assigns it.
import type { Topology } from '../../dsl';
import { wordCountTopology } from './topology';

export function pipeline(app: string): Topology {
  return wordCountTopology(app);
}

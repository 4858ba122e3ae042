// The schema registry of a broker: stored in its compacted `_schemas` topic
// (partition 0), as Confluent's registry does, so it lives with the rest of the
// log (and will replicate with it). The registry is that topic's only writer.
import { Broker, BrokerError } from '../broker';
import { LogSchemaStorage, SchemaRegistry, SCHEMAS_TOPIC } from '../schema';

export function openBrokerSchemaRegistry(broker: Broker): SchemaRegistry {
  const created = broker.ensureSchemasTopic();
  if (created._tag === 'Left') throw created.left;
  const partition = broker.topics.partition(SCHEMAS_TOPIC, 0);
  if (partition._tag === 'Left') throw new BrokerError(partition.left.code, `The ${SCHEMAS_TOPIC} topic has no partition 0: ${partition.left.message}`);
  return SchemaRegistry.open(new LogSchemaStorage(partition.right.log));
}

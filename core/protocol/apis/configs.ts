// Config vocabulary shared by CreateTopics, DescribeConfigs and AlterConfigs.
import { NEVER } from '../../log';

/** Kafka's ConfigSource: an override on the topic, or the default. */
export const ConfigSource = { TOPIC: 1, DEFAULT: 5 } as const;

/** Kafka's ConfigResource.Type. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** A config value as Kafka writes it: Rill's "never" (the largest safe integer) is Long.MAX_VALUE. */
export function kafkaValue(value: unknown): string {
  return value === NEVER ? '9223372036854775807' : String(value);
}

// Where a broker is on a named Kafka listener. A broker with several listeners
// registers each (RegisterBrokerRecord.listeners); a client is told every
// broker's address on the listener it came in on, as Kafka does, and a broker
// without that listener is left out. A connection on an unnamed listener, or a
// broker that registered none, gets the broker's one registered address.
import type { BrokerRegistration } from '../metadata/image';

export function brokerEndpoint(b: BrokerRegistration, listener: string | undefined): { host: string; port: number } | undefined {
  if (listener === undefined || b.listeners === undefined || b.listeners.length === 0) return { host: b.host, port: b.port };
  const named = b.listeners.find((l) => l.name === listener);
  return named && { host: named.host, port: named.port };
}

// Command-line words that several tests give `rill broker` alike: a combined
// cluster node (controller and broker in one process, a quorum of one) and a
// metrics port over HTTPS with basic auth.
import { freePortPair } from './ports';
import type { TestCerts } from './test-certs';

/** Ports for a combined node: its controller's and its Kafka listener's, each a free pair. */
export async function combinedNodePorts(): Promise<{ controllerPort: number; kafkaPort: number }> {
  const taken = new Set<number>();
  const controllerPort = await freePortPair(taken);
  const kafkaPort = await freePortPair(taken);
  return { controllerPort, kafkaPort };
}

/** Node 1 as its cluster's only controller (a broker too), in `dataDir`; the caller adds its listeners. */
export function soleControllerNodeArgs(controllerPort: number, dataDir: string): string[] {
  return ['--controller', '--node-id', '1', '--controllers', `1@127.0.0.1:${controllerPort}`, '--data-dir', dataDir];
}

/** soleControllerNodeArgs with its Kafka listener on `kafkaPort`. */
export function combinedNodeArgs(ports: { controllerPort: number; kafkaPort: number }, dataDir: string): string[] {
  return [...soleControllerNodeArgs(ports.controllerPort, dataDir), '--port', String(ports.kafkaPort)];
}

/** A metrics port the OS picks, served over HTTPS with the test server certificate, behind basic auth. */
export function httpsMetricsArgs(certs: TestCerts): string[] {
  return ['--metrics-port', '0', '--metrics-ssl-cert', certs.server.cert, '--metrics-ssl-key', certs.server.key, '--metrics-basic-auth'];
}

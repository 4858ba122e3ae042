// --metrics-port: the long-running commands (broker, cluster node, worker) serve
// Prometheus metrics at http://HOST:PORT/metrics from their own registry; with
// --metrics-ssl-* over HTTPS and with --metrics-basic-auth behind a password
// (Prometheus' tls_config and basic_auth).
import type { HttpSecurity } from '../core/http';
import { MetricsServer, metricsRegistry, type Registry } from '../core/metrics';
import { UsageError } from './args';
import { httpSecurityFlags } from './http-security';
import type { CommandIO } from './io';
import { CommandError } from './wire';

export const METRICS_PORT_FLAG = {
  kind: 'number',
  arg: 'PORT',
  help: 'serve Prometheus metrics at http://HOST:PORT/metrics (0 picks a free port; the same address as --host)',
  defaultText: 'none',
} as const;

/** --metrics-ssl-cert/-key/-ca/-client-auth and --metrics-basic-auth, for a command whose users `users` names. */
export function metricsSecurityFlags(users: string) {
  return httpSecurityFlags('metrics', 'the metrics port', users);
}

/** The --metrics-port value, checked: undefined when not given. */
export function metricsPort(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535)) throw new UsageError('--metrics-port needs a port number, 0 to 65535');
  return value;
}

/** A registry and its /metrics server, announced on stdout as `<who>: metrics on URL`. */
export async function serveMetrics(
  port: number,
  host: string,
  who: string,
  io: CommandIO,
  security?: HttpSecurity,
): Promise<{ registry: Registry; server: MetricsServer }> {
  const registry = metricsRegistry({ process: true });
  try {
    const server = await MetricsServer.start({ registry, port, host, security });
    io.stdout.write(`${who}: metrics on ${server.url}${security?.authenticate ? ' (basic auth)' : ''}\n`);
    return { registry, server };
  } catch (e) {
    throw new CommandError(`cannot serve metrics on ${host}:${port}: ${(e as Error).message}; pick another --metrics-port`);
  }
}

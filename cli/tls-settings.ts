// A server's TLS settings (certificate, key, CA, client auth) checked together,
// for every server `rill broker` runs: the Kafka listeners (ssl.*) and the
// schema registry (schema.registry.ssl.*).
import { UsageError } from './args';
import type { ClientAuth, ListenerTlsOptions } from '../core/protocol';

/**
 * A server's TLS from its certificate, key, CA and client-auth settings: none
 * when no certificate is given; settings that do not go together are refused,
 * named by their keys (`keys`.certificate.location, ...) and flags
 * (`flags`-cert, ...), or by their flags alone when they have no keys.
 */
export function tlsOfSettings(
  s: { cert?: string; key?: string; ca?: string; clientAuth?: ClientAuth },
  names: { keys?: string; flags: string; server: string },
): ListenerTlsOptions | undefined {
  const { keys, flags, server } = names;
  const named = (key: string, flag: string) => (keys === undefined ? `${flags}-${flag}` : `${keys}.${key}`);
  const both = (key: string, flag: string) => (keys === undefined ? `${flags}-${flag}` : `${keys}.${key} (${flags}-${flag})`);
  if (!s.cert && !s.key) {
    if (s.ca || (s.clientAuth && s.clientAuth !== 'none'))
      throw new UsageError(
        `${named('ca.location', 'ca')} and ${named('client.auth', 'client-auth')} need TLS on the ${server}: give ${named('certificate.location', 'cert')} and ${named('key.location', 'key')} too`,
      );
    return undefined;
  }
  if (!s.cert || !s.key) throw new UsageError(`TLS needs both ${both('certificate.location', 'cert')} and ${both('key.location', 'key')}`);
  if (s.clientAuth && s.clientAuth !== 'none' && !s.ca)
    throw new UsageError(`${named('client.auth', 'client-auth')}=${s.clientAuth} needs ${both('ca.location', 'ca')}: the CA that signs client certificates`);
  return { certFile: s.cert, keyFile: s.key, caFile: s.ca, clientAuth: s.clientAuth };
}

// A server's TLS settings (certificate, key, CA, client auth) checked together,
// for every server `rill broker` runs: the Kafka listeners (ssl.*) and the
// schema registry (schema.registry.ssl.*).
import { UsageError } from './args';
import type { ClientAuth, ListenerTlsOptions } from '../core/protocol';

/**
 * A server's TLS from its certificate, key, CA and client-auth settings: none
 * when no certificate is given; settings that do not go together are refused,
 * named by their keys (`keys`.certificate.location, ...) and flags (`flags`-cert, ...).
 */
export function tlsOfSettings(
  s: { cert?: string; key?: string; ca?: string; clientAuth?: ClientAuth },
  names: { keys: string; flags: string; server: string },
): ListenerTlsOptions | undefined {
  const { keys, flags, server } = names;
  if (!s.cert && !s.key) {
    if (s.ca || (s.clientAuth && s.clientAuth !== 'none'))
      throw new UsageError(
        `${keys}.ca.location and ${keys}.client.auth need TLS on the ${server}: give ${keys}.certificate.location and ${keys}.key.location too`,
      );
    return undefined;
  }
  if (!s.cert || !s.key) throw new UsageError(`TLS needs both ${keys}.certificate.location (${flags}-cert) and ${keys}.key.location (${flags}-key)`);
  if (s.clientAuth && s.clientAuth !== 'none' && !s.ca)
    throw new UsageError(`${keys}.client.auth=${s.clientAuth} needs ${keys}.ca.location (${flags}-ca): the CA that signs client certificates`);
  return { certFile: s.cert, keyFile: s.key, caFile: s.ca, clientAuth: s.clientAuth };
}

// The start-up warnings of a node that other machines reach with nobody
// authenticated: a cluster node whose internal links are plaintext on a
// non-loopback address, and a schema registry without basic auth (or required
// client certificates) on one.
import { internalExposureWarning } from '../../cli/internal-tls-flags';
import { schemaRegistryExposureWarning } from '../../cli/schema-registry-config';

describe('exposure warnings', () => {
  const tls = { certFile: 'node.pem', keyFile: 'node.key', caFile: 'ca.pem' };

  it('warns about plaintext internal links on an address other machines reach, naming the flags', () => {
    expect(internalExposureWarning(['127.0.0.1', 'localhost'], undefined)).toBeUndefined();
    expect(internalExposureWarning(['10.0.0.1'], tls)).toBeUndefined();
    expect(internalExposureWarning(['10.0.0.1', '0.0.0.0', '10.0.0.1'], undefined)).toBe(
      "the cluster's internal links on 10.0.0.1, 0.0.0.0 (controller RPC, replication, Raft) are plaintext and authenticate no one: anyone who reaches them can join as a broker, fetch replicas or vote (start every node with --internal-ssl-cert, --internal-ssl-key and --internal-ssl-ca; docs/security.md)",
    );
  });

  it('warns about a schema registry other machines reach without authentication', () => {
    expect(schemaRegistryExposureWarning('127.0.0.1', {})).toBeUndefined();
    expect(schemaRegistryExposureWarning('0.0.0.0', { schemaRegistryAuthenticationMethod: 'BASIC' })).toBeUndefined();
    expect(schemaRegistryExposureWarning('0.0.0.0', { schemaRegistrySslClientAuth: 'required' })).toBeUndefined();
    expect(schemaRegistryExposureWarning('0.0.0.0', { schemaRegistrySslClientAuth: 'requested' })).toMatch(
      /^the schema registry on 0\.0\.0\.0 is reachable from other machines and authenticates no one/,
    );
  });
});

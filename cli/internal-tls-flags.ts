// The flags of the cluster's internal mutual TLS (core/cluster/net/internal-tls.ts),
// shared by every command that talks to cluster nodes: `rill broker --controllers`
// (a node), `rill worker` (its link to the controllers) and `rill cluster`
// (status and controller changes). Named like the Kafka listener's --ssl-*
// flags; errors name the settings internal.ssl.*.
import { InternalTls, type InternalTlsOptions, parsePrincipals } from '../core/cluster';
import { UsageError } from './args';
import { isLoopback } from '../core/protocol';
import { CommandError } from './wire';

export const INTERNAL_TLS_FLAGS = {
  'internal-ssl-cert': {
    kind: 'string',
    arg: 'FILE',
    help: "this node's certificate for the cluster's own links (PEM, presented as server and as client): with --internal-ssl-key and --internal-ssl-ca, mutual TLS between nodes",
  },
  'internal-ssl-key': { kind: 'string', arg: 'FILE', help: 'its private key (PEM)' },
  'internal-ssl-ca': { kind: 'string', arg: 'FILE', help: "the CA that signs every node's certificate (PEM): a peer with another is refused" },
  'internal-ssl-principals': {
    kind: 'string',
    arg: 'LIST',
    help: 'the nodes\' principals, ;-separated ("User:CN=node-1,O=Acme;User:CN=node-2,O=Acme")',
    defaultText: 'any certificate the CA signed',
  },
} as const;

export interface InternalTlsFlags {
  'internal-ssl-cert'?: string;
  'internal-ssl-key'?: string;
  'internal-ssl-ca'?: string;
  'internal-ssl-principals'?: string;
}

/** The internal TLS the flags ask for (none when no --internal-ssl-* is given), with its files checked. */
export function internalTlsOf(flags: InternalTlsFlags): InternalTlsOptions | undefined {
  const { 'internal-ssl-cert': certFile, 'internal-ssl-key': keyFile, 'internal-ssl-ca': caFile, 'internal-ssl-principals': principals } = flags;
  if (certFile === undefined && keyFile === undefined && caFile === undefined && principals === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined || caFile === undefined)
    throw new UsageError('internal TLS needs all three of --internal-ssl-cert, --internal-ssl-key and --internal-ssl-ca');
  const options: InternalTlsOptions = { certFile, keyFile, caFile, principals: principals === undefined ? undefined : parsePrincipals(principals) };
  try {
    InternalTls.load(options); // bad files fail before anything starts
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  return options;
}

/** The warning a node deserves whose internal links other machines reach without internal TLS (the hosts they bind). */
export function internalExposureWarning(hosts: readonly string[], internalTls: InternalTlsOptions | undefined): string | undefined {
  const exposed = [...new Set(hosts.filter((h) => !isLoopback(h)))];
  if (internalTls !== undefined || exposed.length === 0) return undefined;
  return `the cluster's internal links on ${exposed.join(', ')} (controller RPC, replication, Raft) are plaintext and authenticate no one: anyone who reaches them can join as a broker, fetch replicas or vote (start every node with --internal-ssl-cert, --internal-ssl-key and --internal-ssl-ca; docs/security.md)`;
}

/** The sockets of a command's calls to cluster nodes (plain TCP without internal TLS). */
export function internalSocketsOf(flags: InternalTlsFlags, log: (m: string) => void) {
  const options = internalTlsOf(flags);
  return options && InternalTls.load(options).sockets(log);
}

// Basic auth for the HTTP endpoints of processes that keep no users of their
// own (rill worker, rill console, rill schema-registry): a user name and
// password are good when the brokers accept them, tried as a SASL login
// with the mechanism of the process's own --command-config (so the users are
// the brokers' `rill user`s, and no second user list exists). A good pair is
// remembered for a minute, by a hash of the password, so a scraper or a
// browser polling every few seconds does not log in to a broker each time.
import { createHash } from 'node:crypto';
import type { PasswordCheck } from '../core/http';
import { type ClientSaslOptions, type ClientTlsOptions, KafkaConnection } from '../core/protocol';
import { type Bootstrap, bootstrapList } from './wire';

const REMEMBER_MS = 60_000;
/** Logins remembered at most; the oldest is forgotten first. */
const MAX_REMEMBERED = 1000;
const LOGIN_TIMEOUT_MS = 10_000;

/** What a refused login's error says (KafkaConnection's message for a SaslAuthenticate error). */
const REFUSED = /^SASL authentication as .* failed/;

/**
 * A password check by SASL login at the brokers (the first that answers).
 * Throws (the HTTP answer is then a 401 that says why) when no broker
 * answers; a refused login is false.
 */
export function brokerPasswordCheck(
  brokers: readonly string[],
  connection: { readonly tls?: ClientTlsOptions; readonly sasl: Pick<ClientSaslOptions, 'mechanism'> },
  now: () => number = Date.now,
): PasswordCheck {
  const remembered = new Map<string, number>();
  return async (user, password) => {
    const key = createHash('sha256').update(user).update('\0').update(password).digest('base64');
    const until = remembered.get(key);
    if (until !== undefined && until > now()) return true;
    remembered.delete(key);
    const failures: string[] = [];
    for (const address of brokers) {
      try {
        const c = await KafkaConnection.connect(address, {
          clientId: 'rill-http-auth',
          timeoutMs: LOGIN_TIMEOUT_MS,
          tls: connection.tls,
          sasl: { mechanism: connection.sasl.mechanism, username: user, password },
        });
        c.close();
        if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
        remembered.set(key, now() + REMEMBER_MS);
        return true;
      } catch (e) {
        const message = (e as Error).message;
        if (REFUSED.test(message)) return false;
        failures.push(`${address}: ${message}`);
      }
    }
    throw new Error(`no broker answered the login (${failures.join('; ')})`);
  };
}

/** Whose passwords a command without users of its own checks, as its help says. */
export const BROKER_USERS = "the brokers' users (a SASL login with --command-config's sasl.mechanism)";

/** --X-basic-auth without a SASL login to the brokers to check passwords with. */
export const NO_BROKER_USERS = (prefix: string) =>
  `--${prefix}-basic-auth checks passwords by a SASL login at the brokers: give --command-config with security.protocol=SASL_PLAINTEXT or SASL_SSL and sasl.mechanism`;

/** Basic auth by SASL login at the bootstrap brokers, with the mechanism and TLS of --command-config; none without SASL there. */
export function usersOfBrokers(bootstrap: Bootstrap): PasswordCheck | undefined {
  const { sasl } = bootstrap;
  return sasl && brokerPasswordCheck(bootstrapList(bootstrap.servers), { tls: bootstrap.tls, sasl });
}

// A minimal SCRAM client for tests: one exchange against a ScramServer, with
// fixed nonces, answering whether the password authenticated.
import { type SaslExchange, type ScramMechanism, scramClientProof } from '../../../../core/protocol/sasl';

export function scramAuthenticates(server: SaslExchange, mechanism: ScramMechanism, user: string, password: string): boolean {
  const first = server.step(Buffer.from(`n,,n=${user},r=C`));
  if (first.kind !== 'challenge') return false;
  const [nonce, salt, iterations] = first.response.toString().split(',');
  const withoutProof = `c=biws,${nonce}`;
  const authMessage = `n=${user},r=C,${first.response},${withoutProof}`;
  const proof = scramClientProof(mechanism, password, Buffer.from(salt.slice(2), 'base64'), Number(iterations.slice(2)), authMessage);
  return server.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).kind === 'done';
}

// core/protocol/sasl: SASL authentication as pure, tested parts -- PLAIN's
// message and its check against SCRAM credentials, SCRAM-SHA-256/512's server state machine, SCRAM credentials and
// where they are kept, and the client's side for Rill's own clients. The
// connection's SaslSession (server/sasl-session.ts) runs the exchanges.
export { parsePlain, MAX_PLAIN_MESSAGE_BYTES } from './plain';
export type { PlainCredentials } from './plain';
export { ScramServer, scramClientProof, scramServerSignature } from './scram-server';
export type { ScramServerOptions } from './scram-server';
export { MAX_SCRAM_MESSAGE_BYTES, parseClientFirst, parseClientFinal, decodeSaslName } from './scram-messages';
export {
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  SCRAM_MECHANISMS,
  scramMechanismByName,
  scramMechanismByType,
  scramCredential,
  credentialFromSaltedPassword,
  saltedPassword,
  checkIterations,
  MIN_SCRAM_ITERATIONS,
  DEFAULT_SCRAM_ITERATIONS,
  MAX_SCRAM_ITERATIONS,
} from './scram-credential';
export type { ScramCredential, ScramMechanism } from './scram-credential';
export { FileCredentialStore, CREDENTIALS_FILE, toRecord, fromRecord } from './credential-store';
export type { CredentialStore, CredentialChange, UserScramCredentialRecord } from './credential-store';
export { authenticationFailed, illegalState } from './sasl-result';
export type { SaslStep, SaslFailure } from './sasl-result';
export { credentialStorePort, toPortRecord, fromPortRecord } from './security-port';
export { startSaslExchange, userPasswordMatches, PLAIN } from './sasl-exchange';
export { PlainServer, passwordMatches } from './plain-server';
export type { SaslExchange } from './sasl-exchange';
export { saslClient } from './sasl-client';
export type { ClientSaslOptions, SaslClient } from './sasl-client';

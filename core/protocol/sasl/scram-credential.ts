// SCRAM (RFC 5802 / RFC 7677) mechanisms and the credential a server keeps per
// user and mechanism: salt, iterations, StoredKey and ServerKey, never the
// password. The fields are those of Kafka's UserScramCredentialRecord (mechanism
// as its int8 type: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512), so the cluster's
// metadata log can carry them as they are.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export interface ScramMechanism {
  /** The SASL mechanism name, as SaslHandshake carries it. */
  readonly name: string;
  /** node:crypto's digest name. */
  readonly hash: string;
  /** The digest's length in bytes (the length of keys, proofs and signatures). */
  readonly keyLength: number;
  /** Kafka's ScramMechanism type (UserScramCredentialRecord.Mechanism, DescribeUserScramCredentials' Mechanism). */
  readonly kafkaType: number;
}

export const SCRAM_SHA_256: ScramMechanism = { name: 'SCRAM-SHA-256', hash: 'sha256', keyLength: 32, kafkaType: 1 };
export const SCRAM_SHA_512: ScramMechanism = { name: 'SCRAM-SHA-512', hash: 'sha512', keyLength: 64, kafkaType: 2 };
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [SCRAM_SHA_256, SCRAM_SHA_512];

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name);
}

export function scramMechanismByType(kafkaType: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.kafkaType === kafkaType);
}

/** Kafka's floor (ScramMechanism.minIterations) and the default of its tools. */
export const MIN_SCRAM_ITERATIONS = 4096;
export const DEFAULT_SCRAM_ITERATIONS = 8192;
/** Kafka's ceiling (ScramMechanism.maxIterations): PBKDF2 beyond it is a denial of service on the server. */
export const MAX_SCRAM_ITERATIONS = 16384;

export interface ScramCredential {
  readonly mechanism: ScramMechanism;
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(mechanism.hash, key).update(text).digest();
}

export function digest(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(mechanism.hash).update(data).digest();
}

/** SaltedPassword := Hi(password, salt, i), PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, mechanism.keyLength, mechanism.hash);
}

/** ClientKey := HMAC(SaltedPassword, "Client Key"). */
export function clientKey(mechanism: ScramMechanism, salted: Buffer): Buffer {
  return hmac(mechanism, salted, 'Client Key');
}

/** ServerKey := HMAC(SaltedPassword, "Server Key"). */
export function serverKey(mechanism: ScramMechanism, salted: Buffer): Buffer {
  return hmac(mechanism, salted, 'Server Key');
}

export function checkIterations(iterations: number): string | undefined {
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS)
    return `iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}, got ${iterations}`;
  return undefined;
}

/**
 * The credential for a password. The salt is random (as long as the digest)
 * unless given; the password is not kept. Throws RangeError on iterations out of Kafka's bounds.
 */
export function scramCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(mechanism.keyLength),
): ScramCredential {
  const bad = checkIterations(iterations);
  if (bad) throw new RangeError(bad);
  return credentialFromSaltedPassword(mechanism, saltedPassword(mechanism, password, salt, iterations), salt, iterations);
}

/** The credential for a SaltedPassword computed elsewhere (AlterUserScramCredentials carries it, so the password never travels). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  return { mechanism, salt, iterations, storedKey: digest(mechanism, clientKey(mechanism, salted)), serverKey: serverKey(mechanism, salted) };
}

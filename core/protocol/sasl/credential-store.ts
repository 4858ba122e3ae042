// Where SCRAM credentials live. The CredentialStore interface is what the
// authenticator and the admin APIs use; FileCredentialStore is the single-node
// one: every credential in one JSON file of the data dir, rewritten atomically
// (temp file, fsync, rename, fsync of the directory) on each change. Entries
// carry the fields of Kafka's UserScramCredentialRecord (name, mechanism type,
// salt, storedKey, serverKey, iterations), so a cluster can replicate the same records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ScramCredential, type ScramMechanism, scramMechanismByType } from './scram-credential';

export interface CredentialStore {
  /** The user's credential for the mechanism, if any. Synchronous: the authenticator asks mid-exchange. */
  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined;
  /** Every user with the mechanisms they have credentials for. */
  list(): ReadonlyMap<string, readonly ScramCredential[]>;
  /** Adds or replaces the user's credential for its mechanism. */
  upsert(user: string, credential: ScramCredential): Promise<void>;
  /** Removes the user's credential for the mechanism; false when there was none. */
  delete(user: string, mechanism: ScramMechanism): Promise<boolean>;
  /** Applies the changes together: all of them, or (the store failing) none. */
  apply(changes: readonly CredentialChange[]): Promise<void>;
}

export type CredentialChange =
  | { readonly kind: 'upsert'; readonly user: string; readonly credential: ScramCredential }
  | { readonly kind: 'delete'; readonly user: string; readonly mechanism: ScramMechanism };

/** One credential as Kafka's UserScramCredentialRecord has it, bytes in base64. */
export interface UserScramCredentialRecord {
  readonly name: string;
  readonly mechanism: number;
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

export function toRecord(name: string, credential: ScramCredential): UserScramCredentialRecord {
  return {
    name,
    mechanism: credential.mechanism.kafkaType,
    salt: credential.salt.toString('base64'),
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
    iterations: credential.iterations,
  };
}

/** The credential of a record; throws on a record no Rill wrote (unknown mechanism, wrong key length). */
export function fromRecord(record: UserScramCredentialRecord): ScramCredential {
  const mechanism = scramMechanismByType(record.mechanism);
  if (mechanism === undefined) throw new Error(`unknown SCRAM mechanism type ${record.mechanism} for user ${JSON.stringify(record.name)}`);
  const storedKey = Buffer.from(record.storedKey, 'base64');
  const serverKey = Buffer.from(record.serverKey, 'base64');
  if (storedKey.length !== mechanism.keyLength || serverKey.length !== mechanism.keyLength)
    throw new Error(`${mechanism.name} keys of user ${JSON.stringify(record.name)} must be ${mechanism.keyLength} bytes`);
  if (typeof record.name !== 'string' || record.name === '') throw new Error('credential record without a user name');
  return { mechanism, salt: Buffer.from(record.salt, 'base64'), iterations: record.iterations, storedKey, serverKey };
}

const FILE_VERSION = 1;
export const CREDENTIALS_FILE = 'scram-credentials.json';

export class FileCredentialStore implements CredentialStore {
  private users = new Map<string, readonly ScramCredential[]>();
  readonly file: string;

  /** Reads the store of a data dir (empty when the file does not exist yet); throws on a malformed file. */
  constructor(dataDir: string) {
    this.file = path.join(dataDir, CREDENTIALS_FILE);
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const parsed = JSON.parse(text) as { version?: unknown; credentials?: unknown };
    if (parsed.version !== FILE_VERSION || !Array.isArray(parsed.credentials)) throw new Error(`${this.file}: not a version ${FILE_VERSION} credentials file`);
    const records = parsed.credentials as UserScramCredentialRecord[];
    this.users = changed(
      this.users,
      records.map((record) => ({ kind: 'upsert', user: record.name, credential: fromRecord(record) })),
    );
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.find((c) => c.mechanism.kafkaType === mechanism.kafkaType);
  }

  list(): ReadonlyMap<string, readonly ScramCredential[]> {
    return this.users;
  }

  upsert(user: string, credential: ScramCredential): Promise<void> {
    return this.apply([{ kind: 'upsert', user, credential }]);
  }

  async delete(user: string, mechanism: ScramMechanism): Promise<boolean> {
    if (this.get(user, mechanism) === undefined) return false;
    await this.apply([{ kind: 'delete', user, mechanism }]);
    return true;
  }

  /** Written to disk first, then seen: a failed write leaves both the file and the store as they were. */
  async apply(changes: readonly CredentialChange[]): Promise<void> {
    const next = changed(this.users, changes);
    const credentials = [...next].flatMap(([user, held]) => held.map((c) => toRecord(user, c)));
    writeFileAtomically(this.file, JSON.stringify({ version: FILE_VERSION, credentials }, null, 2) + '\n');
    this.users = next;
  }
}

/** The users after the changes, in order (the map given is not modified). */
function changed(users: ReadonlyMap<string, readonly ScramCredential[]>, changes: readonly CredentialChange[]): Map<string, readonly ScramCredential[]> {
  const next = new Map(users);
  for (const change of changes) {
    const type = change.kind === 'upsert' ? change.credential.mechanism.kafkaType : change.mechanism.kafkaType;
    const kept = (next.get(change.user) ?? []).filter((c) => c.mechanism.kafkaType !== type);
    const held = change.kind === 'upsert' ? [...kept, change.credential] : kept;
    if (held.length === 0) next.delete(change.user);
    else next.set(change.user, held);
  }
  return next;
}

/** Temp file, fsync, rename, fsync of the directory: a reader (or a crash) sees the old file or the new one. Mode 0600: the keys are secrets. */
function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

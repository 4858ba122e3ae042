// The broker's metadata in its data directory: the topics (name, id, partition
// count, config overrides), the cluster id and the producer-id high-water mark.
// One small JSON file, replaced atomically (write, fsync, rename, fsync dir), so a
// crash leaves either the old or the new file, never half of one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export const METADATA_FILE = 'rill-metadata.json';
const FORMAT_VERSION = 1;

export interface TopicRecord {
  name: string;
  /** Kafka's topic id: 16 random bytes, base64url (22 chars). */
  topicId: string;
  partitions: number;
  /** Config overrides as given (Kafka names); defaults are not stored. */
  config: Record<string, string>;
  internal: boolean;
}

export interface BrokerMetadata {
  version: number;
  clusterId: string;
  /** Producer ids below this may have been handed out; the next one starts here. */
  producerIdBlockEnd: number;
  topics: TopicRecord[];
}

export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export class MetadataStore {
  private constructor(
    private readonly file: string,
    private current: BrokerMetadata,
  ) {}

  /** Reads the metadata of `dir`, or starts fresh when there is none. */
  static open(dir: string): MetadataStore {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, METADATA_FILE);
    fs.rmSync(file + '.tmp', { force: true });
    if (!fs.existsSync(file)) {
      const store = new MetadataStore(file, { version: FORMAT_VERSION, clusterId: newId(), producerIdBlockEnd: 0, topics: [] });
      store.write(store.current);
      return store;
    }
    let parsed: BrokerMetadata;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as BrokerMetadata;
    } catch (e) {
      throw new Error(
        `The broker metadata file ${file} is not valid JSON (${(e as Error).message}); restore it from a backup or move the data directory aside.`,
      );
    }
    if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.topics)) {
      throw new Error(`The broker metadata file ${file} has format version ${parsed.version}; this Rill reads version ${FORMAT_VERSION}.`);
    }
    return new MetadataStore(file, parsed);
  }

  get metadata(): Readonly<BrokerMetadata> {
    return this.current;
  }

  /** Applies `change` to a copy and persists it before it becomes current. */
  update(change: (m: BrokerMetadata) => void): void {
    const next: BrokerMetadata = structuredClone(this.current);
    change(next);
    this.write(next);
    this.current = next;
  }

  private write(m: BrokerMetadata): void {
    const tmp = this.file + '.tmp';
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(m, null, 2));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}

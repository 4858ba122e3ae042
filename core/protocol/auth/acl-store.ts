// Where a single node keeps its ACLs: one file in the data dir, in Kafka's
// checkpoint format (core/log: version line, count, one entry per line, written
// atomically with fsyncs), one ACL per line as JSON. A cluster keeps them in its
// metadata log instead (core/cluster/metadata's ACL records).
import * as path from 'node:path';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../log';
import type { AclBinding } from '../ports';
import { invalidBinding } from './acl';

export const ACLS_FILE = 'acls.checkpoint';

export class FileAclStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, ACLS_FILE);
  }

  /** The ACLs written last (none when the file does not exist); throws CheckpointError on a line no Rill wrote. */
  load(): AclBinding[] {
    const lines = readCheckpoint(this.file) ?? [];
    return lines.map((line, i) => {
      let b: AclBinding;
      try {
        b = JSON.parse(line) as AclBinding;
      } catch {
        throw new CheckpointError(this.file, `line ${i + 3} is not JSON`);
      }
      const shaped = typeof b === 'object' && b !== null && [b.resourceName, b.principal, b.host].every((x) => typeof x === 'string');
      const invalid = shaped ? invalidBinding(b) : 'not an ACL (resourceName, principal and host must be strings)';
      if (invalid !== undefined) throw new CheckpointError(this.file, `line ${i + 3}: ${invalid}`);
      return b;
    });
  }

  /** Replaces the stored ACLs (a reader or a crash sees the old set or the new one). */
  save(bindings: readonly AclBinding[]): void {
    writeCheckpoint(
      this.file,
      bindings.map((b) =>
        JSON.stringify({
          resourceType: b.resourceType,
          resourceName: b.resourceName,
          patternType: b.patternType,
          principal: b.principal,
          host: b.host,
          operation: b.operation,
          permission: b.permission,
        }),
      ),
    );
  }
}

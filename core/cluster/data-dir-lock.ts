// A cluster node's data directory is locked while the node runs (core/log's
// DirLock): a second node on the same directory is refused, with a sentence.
import * as E from 'fp-ts/Either';
import { DirLock, DirLockedError } from '../log';

export function lockDataDir(dir: string): E.Either<string, DirLock> {
  try {
    return E.right(DirLock.acquire(dir));
  } catch (e) {
    if (e instanceof DirLockedError) return E.left(e.message);
    return E.left(`cannot use data directory ${dir}: ${(e as Error).message}`);
  }
}

// A fault-injecting file layer for tests: writes, opens and fsyncs of files
// under one directory fail with an errno (ENOSPC, EIO...) while the fault is
// on, as a full or failing disk would make them fail (and reads, with their
// own errno); every other file is
// untouched. Deterministic: the fault is switched on and off by the test.
// Write failures first write part of the buffer, as a real ENOSPC does.
import type * as fsTypes from 'node:fs';

// The module object the log's `import * as fs` reads through (a namespace import here would be frozen).
const nodeFs = require('node:fs') as typeof fsTypes;

export interface DiskFault {
  /** The errno writes, opens for writing and fsyncs fail with; undefined: they work. */
  errno: string | undefined;
  /** The errno reads fail with; undefined: they work. */
  readErrno: string | undefined;
  /** The errno fsyncs alone fail with (sync and async), writes working: a device that takes writes but cannot flush them. */
  fsyncErrno: string | undefined;
  /** Calls failed so far. */
  failures: number;
  /** Restores the real file functions. */
  restore(): void;
}

function errnoError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected disk fault, ${syscall} '${file}'`), { code, syscall, path: file });
}

/** Fails writes, opens for writing and fsyncs of files under `dir` while `fault.errno` is set. */
export function injectDiskFault(dir: string): DiskFault {
  const real = {
    writeSync: nodeFs.writeSync,
    openSync: nodeFs.openSync,
    fsyncSync: nodeFs.fsyncSync,
    writeFileSync: nodeFs.writeFileSync,
    readSync: nodeFs.readSync,
  };
  const realPromisesOpen = nodeFs.promises.open;
  const pathOf = (fd: number): string => {
    try {
      return nodeFs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  };
  const under = (file: unknown): boolean => typeof file === 'string' && (file === dir || file.startsWith(`${dir}/`));
  const fault: DiskFault = {
    errno: undefined,
    readErrno: undefined,
    fsyncErrno: undefined,
    failures: 0,
    restore() {
      Object.assign(nodeFs, real);
      nodeFs.promises.open = realPromisesOpen;
    },
  };
  const fail = (syscall: string, file: string, errno = fault.errno!): never => {
    fault.failures++;
    throw errnoError(errno, syscall, file);
  };
  nodeFs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    const file = pathOf(fd);
    if (fault.errno !== undefined && under(file)) {
      // Part of the bytes reach the file before the device refuses the rest.
      if (Buffer.isBuffer(buffer) && buffer.length > 1) {
        const [offset, , position] = rest as [number | undefined, number | undefined, number | undefined];
        (real.writeSync as (...a: unknown[]) => number)(fd, buffer, offset ?? 0, 1, position);
      }
      return fail('write', file);
    }
    return (real.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
  }) as typeof nodeFs.writeSync;
  nodeFs.openSync = ((file: fsTypes.PathLike, flags?: fsTypes.OpenMode, mode?: fsTypes.Mode) => {
    const writing = flags !== undefined && flags !== 'r' && flags !== 0;
    if (fault.errno !== undefined && writing && under(String(file))) return fail('open', String(file));
    return real.openSync(file, flags ?? 'r', mode);
  }) as typeof nodeFs.openSync;
  nodeFs.readSync = ((fd: number, ...rest: unknown[]) => {
    if (fault.readErrno !== undefined) {
      const file = pathOf(fd);
      if (under(file)) return fail('read', file, fault.readErrno);
    }
    return (real.readSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof nodeFs.readSync;
  const fsyncErrno = (): string | undefined => fault.errno ?? fault.fsyncErrno;
  nodeFs.fsyncSync = ((fd: number) => {
    const file = pathOf(fd);
    const errno = fsyncErrno();
    if (errno !== undefined && under(file)) return fail('fsync', file, errno);
    return real.fsyncSync(fd);
  }) as typeof nodeFs.fsyncSync;
  // The async fsyncs (a log's closeAsync) go through a FileHandle: its sync() fails the same way.
  nodeFs.promises.open = (async (file: fsTypes.PathLike, ...rest: unknown[]) => {
    const handle = await (realPromisesOpen as (...a: unknown[]) => Promise<fsTypes.promises.FileHandle>)(file, ...rest);
    if (under(String(file))) {
      const realSync = handle.sync.bind(handle);
      handle.sync = async () => {
        const errno = fsyncErrno();
        if (errno !== undefined) fail('fsync', String(file), errno);
        return realSync();
      };
    }
    return handle;
  }) as typeof nodeFs.promises.open;
  nodeFs.writeFileSync = ((file: fsTypes.PathOrFileDescriptor, data: unknown, options?: fsTypes.WriteFileOptions) => {
    if (fault.errno !== undefined && under(String(file))) return fail('write', String(file));
    return real.writeFileSync(file, data as string, options);
  }) as typeof nodeFs.writeFileSync;
  return fault;
}

// Optional peer dependencies (kafkajs, ioredis): loaded on first use by the
// code that needs them, so the embedded path never requires them, and a
// missing one is reported by name with the command that installs it.

/** `load()`'s module; when it is not installed, an Error naming `name` and what needs it. */
export function optionalPackage<T>(name: string, neededBy: string, load: () => unknown): T {
  try {
    return load() as T;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new Error(`the "${name}" package is not installed, and ${neededBy} needs it: npm install ${name}`);
  }
}

// Command-line flags of the simulation runners (`npm run sim`, `npm run sim:cluster`).

/** The value after `--name`, if the flag is there. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--name N` as a non-negative integer; exits with code 2 and a message otherwise. */
export function intArg(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} needs a non-negative integer, got "${v}"\n`);
    process.exit(2);
  }
  return n;
}

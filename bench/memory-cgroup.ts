// A memory cgroup per bench broker, so the brokers write into a page cache in
// its steady state: full, recycling its own pages, as on a broker that has
// run for a while.
//
// Why it matters on the bench machine: it is a VM whose free memory goes back
// to the host (virtio-balloon free page reporting). Touching a page of that
// memory for the first time costs about 2 CPU-ms per MB more than touching a
// recycled one (the host backs the page on a fault the guest sees as a slow
// copy). A page-cache write of 128 KB chunks costs 0.2-0.3 system CPU-ms per
// MB into recycled pages and about 2.5 into fresh ones (bench/cold-memory.ts
// measures both). A broker whose page cache grows into free memory pays the
// second price for every byte it writes, and RF 3 writes three times the bytes
// of RF 1, so on that machine the RF 3 / RF 1 ratio measured the host's
// memory backing as much as the brokers. A broker that has been up for a
// while has a full page cache and recycles pages: the limit reproduces that
// without filling 24 GB first.
//
// cgroup v1 (/sys/fs/cgroup/memory) and v2 (a cgroup2 root with the memory
// controller) are both handled; without either, or without the right to make
// a cgroup (not root), create() throws a clear error.
import * as fs from 'node:fs';
import * as path from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

type Flavour = { version: 1; root: string } | { version: 2; root: string };

function detect(): Flavour | string {
  if (fs.existsSync(path.join(V1_ROOT, 'memory.limit_in_bytes')) || fs.existsSync(path.join(V1_ROOT, 'cgroup.procs'))) return { version: 1, root: V1_ROOT };
  try {
    const controllers = fs.readFileSync(path.join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (controllers.includes('memory')) return { version: 2, root: V2_ROOT };
    return 'the cgroup v2 root has no memory controller';
  } catch {
    return 'no memory cgroup hierarchy under /sys/fs/cgroup';
  }
}

/** One memory cgroup with a limit that covers the processes' memory and the page cache they fill. */
export class MemoryCgroup {
  private constructor(
    readonly dir: string,
    private readonly flavour: Flavour,
    readonly limitMB: number,
  ) {}

  /** Makes (or reuses) the cgroup `name` limited to `limitMB`; throws saying why when the machine does not allow it. */
  static create(name: string, limitMB: number): MemoryCgroup {
    if (!Number.isInteger(limitMB) || limitMB < 64) throw new Error(`memory cgroup ${name}: the limit must be a whole number of MB >= 64, not ${limitMB}`);
    const flavour = detect();
    if (typeof flavour === 'string') throw new Error(`memory cgroup ${name}: ${flavour}`);
    const dir = path.join(flavour.root, name);
    try {
      fs.mkdirSync(dir, { recursive: true });
      if (flavour.version === 2) {
        // The parent must hand the memory controller down to its children.
        const control = path.join(flavour.root, 'cgroup.subtree_control');
        if (!fs.readFileSync(control, 'utf8').split(/\s+/).includes('memory')) fs.writeFileSync(control, '+memory');
      }
      const bytes = String(limitMB * 1024 * 1024);
      fs.writeFileSync(path.join(dir, flavour.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), bytes);
    } catch (e) {
      throw new Error(`memory cgroup ${name}: cannot make it under ${flavour.root} (${(e as Error).message}); run as root, or set BENCH_BROKER_MEMORY_MB=0`);
    }
    return new MemoryCgroup(dir, flavour, limitMB);
  }

  /** Moves a process into the cgroup: memory it touches from now on (its page-cache writes included) counts against the limit. */
  add(pid: number): void {
    fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** The page cache charged to the cgroup now, in MB (undefined when the stat file cannot be read). */
  pageCacheMB(): number | undefined {
    try {
      const stat = fs.readFileSync(path.join(this.dir, 'memory.stat'), 'utf8');
      const key = this.flavour.version === 1 ? 'cache' : 'file';
      const line = stat.split('\n').find((l) => l.startsWith(`${key} `));
      return line === undefined ? undefined : Math.round(Number(line.split(' ')[1]) / 1024 / 1024);
    } catch {
      return undefined;
    }
  }

  /** Removes the cgroup once its processes are gone (best effort: a cgroup with live processes stays). */
  remove(): boolean {
    try {
      fs.rmdirSync(this.dir);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The memory limit of each bench broker from BENCH_BROKER_MEMORY_MB: a number
 * (0 = off) must be honoured or the bench fails; unset means `defaultMB` where
 * the machine allows a memory cgroup, else none (and `why` says why).
 */
export function brokerMemoryLimit(defaultMB: number): { limitMB: number | undefined; why: string } {
  const raw = process.env.BENCH_BROKER_MEMORY_MB;
  if (raw !== undefined && raw !== '') {
    const mb = Number(raw);
    if (mb === 0) return { limitMB: undefined, why: 'off (BENCH_BROKER_MEMORY_MB=0): the page cache grows into free memory' };
    if (!Number.isInteger(mb) || mb < 64) throw new Error(`BENCH_BROKER_MEMORY_MB must be 0 or a whole number of MB >= 64, not ${raw}`);
    return { limitMB: mb, why: `BENCH_BROKER_MEMORY_MB=${mb}` };
  }
  try {
    MemoryCgroup.create(`rill-bench-${process.pid}-probe`, defaultMB).remove();
    return { limitMB: defaultMB, why: 'default' };
  } catch (e) {
    return { limitMB: undefined, why: `none: ${(e as Error).message}` };
  }
}

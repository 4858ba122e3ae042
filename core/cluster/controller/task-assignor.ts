// Sticky, balanced assignment of an application's tasks to its live workers.
// Every worker ends with floor(T/W) or ceil(T/W) tasks; a worker keeps the tasks
// it owned as far as balance allows (so a rebalance moves only what it must);
// a task that has to move goes preferably to a worker holding a warm standby of
// its state. Standbys are spread the same way, sticky too, never on the owner.
import type { TaskOwnership } from '../metadata/records';

export function assignTasks(
  tasks: readonly string[],
  workers: readonly string[],
  previous: ReadonlyMap<string, TaskOwnership>,
  numStandbyReplicas: number,
): TaskOwnership[] {
  const ws = [...new Set(workers)].sort();
  const ts = [...new Set(tasks)].sort();
  if (ws.length === 0) return [];
  const alive = new Set(ws);
  const load = new Map(ws.map((w) => [w, 0]));
  const owner = new Map<string, string>();
  const ceil = Math.ceil(ts.length / ws.length);
  const allowedAtCeil = ts.length % ws.length === 0 ? ws.length : ts.length % ws.length;

  // Sticky pass: keep previous owners, up to the ceiling.
  for (const t of ts) {
    const prev = previous.get(t)?.owner;
    if (prev !== undefined && alive.has(prev) && load.get(prev)! < ceil) {
      owner.set(t, prev);
      load.set(prev, load.get(prev)! + 1);
    }
  }
  // Only `allowedAtCeil` workers may sit at the ceiling: the others give back their last task.
  const atCeil = ws.filter((w) => load.get(w) === ceil);
  for (const w of atCeil.slice(allowedAtCeil).reverse()) {
    const last = ts.filter((t) => owner.get(t) === w).pop()!;
    owner.delete(last);
    load.set(w, ceil - 1);
  }
  // Fill: each unowned task to a least-loaded worker, warm standbys first.
  for (const t of ts) {
    if (owner.has(t)) continue;
    const min = Math.min(...ws.map((w) => load.get(w)!));
    const candidates = ws.filter((w) => load.get(w) === min);
    const warm = previous.get(t)?.standbys.find((s) => candidates.includes(s));
    const chosen = warm ?? candidates[0];
    owner.set(t, chosen);
    load.set(chosen, min + 1);
  }

  const standbyCount = Math.max(0, Math.min(numStandbyReplicas, ws.length - 1));
  const standbyLoad = new Map(ws.map((w) => [w, 0]));
  return ts.map((t) => {
    const o = owner.get(t)!;
    const prev = previous.get(t);
    const standbys: string[] = [];
    for (const s of prev?.standbys ?? []) {
      if (standbys.length < standbyCount && alive.has(s) && s !== o) standbys.push(s);
    }
    // A previous owner that lost the task keeps its state: it makes a warm standby.
    if (prev && prev.owner !== o && alive.has(prev.owner) && standbys.length < standbyCount && !standbys.includes(prev.owner)) standbys.push(prev.owner);
    while (standbys.length < standbyCount) {
      const free = ws.filter((w) => w !== o && !standbys.includes(w));
      const min = Math.min(...free.map((w) => standbyLoad.get(w)!));
      standbys.push(free.find((w) => standbyLoad.get(w) === min)!);
    }
    for (const s of standbys) standbyLoad.set(s, standbyLoad.get(s)! + 1);
    const taskEpoch = prev === undefined ? 1 : prev.owner === o ? prev.taskEpoch : prev.taskEpoch + 1;
    return { task: t, owner: o, taskEpoch, standbys: standbys.sort() };
  });
}

export function sameAssignment(a: readonly TaskOwnership[], b: ReadonlyMap<string, TaskOwnership>): boolean {
  if (a.length !== b.size) return false;
  return a.every((t) => {
    const o = b.get(t.task);
    return o !== undefined && o.owner === t.owner && o.taskEpoch === t.taskEpoch && o.standbys.join() === t.standbys.join();
  });
}

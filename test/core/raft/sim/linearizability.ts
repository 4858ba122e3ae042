// A Wing & Gong / Lowe style linearizability checker (the algorithm behind
// Porcupine and Knossos' "wgl"), with memoisation of (linearized set, state).

export interface Operation<I, O> {
  readonly call: number;
  /** Infinity when the client never learned the outcome (it may or may not have taken effect). */
  readonly ret: number;
  readonly input: I;
  readonly output: O;
}

export interface Model<S, I, O> {
  readonly init: S;
  /** Whether `input` producing `output` is legal in `state`, and the next state. */
  step(state: S, input: I, output: O): [boolean, S];
  /** A string identifying the state, for memoisation. */
  key(state: S): string;
}

interface Event {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  match: Event | undefined;
  prev: Event | undefined;
  next: Event | undefined;
}

export function isLinearizable<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const events: Event[] = [];
  ops.forEach((o, id) => {
    const call: Event = { op: id, isCall: true, time: o.call, match: undefined, prev: undefined, next: undefined };
    const ret: Event = { op: id, isCall: false, time: o.ret, match: undefined, prev: undefined, next: undefined };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls before returns at equal times: overlapping operations stay concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Event = { op: -1, isCall: false, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (e: Event) => {
    (e.prev as Event).next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match as Event;
    (m.prev as Event).next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Event) => {
    const m = e.match as Event;
    (m.prev as Event).next = m;
    if (m.next) m.next.prev = m;
    (e.prev as Event).next = e;
    if (e.next) e.next.prev = e;
  };

  let linearized = 0n;
  let state = model.init;
  const cache = new Set<string>();
  const stack: { e: Event; state: S }[] = [];
  let entry = head.next;
  while (head.next !== undefined) {
    if (entry === undefined) return false;
    if (entry.isCall) {
      const op = ops[entry.op];
      const [ok, next] = model.step(state, op.input, op.output);
      if (ok) {
        const bit = 1n << BigInt(entry.op);
        const key = `${(linearized | bit).toString(36)}|${model.key(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ e: entry, state });
          state = next;
          linearized |= bit;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return we cannot linearize before: undo the latest choice.
      const top = stack.pop();
      if (top === undefined) return false;
      state = top.state;
      linearized &= ~(1n << BigInt(top.e.op));
      unlift(top.e);
      entry = top.e.next;
    }
  }
  return true;
}

export type RegisterInput = { readonly kind: 'put'; readonly value: string } | { readonly kind: 'get' };

/** A single key of a key-value store: a read/write register. */
export const registerModel: Model<string | undefined, RegisterInput, string | undefined> = {
  init: undefined,
  step: (state, input, output) => (input.kind === 'put' ? [true, input.value] : [output === state, state]),
  key: (state) => (state === undefined ? '\u0000' : state),
};

export interface KvOperation extends Operation<RegisterInput, string | undefined> {
  readonly key: string;
}

/** Keys are independent registers (P-compositionality): check each alone. Returns the first bad key. */
export function checkKvHistory(ops: readonly KvOperation[]): string | undefined {
  const byKey = new Map<string, KvOperation[]>();
  for (const o of ops) {
    const list = byKey.get(o.key) ?? [];
    list.push(o);
    byKey.set(o.key, list);
  }
  for (const [key, list] of byKey) if (!isLinearizable(registerModel, list)) return key;
  return undefined;
}

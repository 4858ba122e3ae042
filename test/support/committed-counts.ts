// What a read_committed reader sees of a counts topic (word -> JSON number):
// each key's values in order. A key always lands in one partition, so the
// values of a word are in the order they were written. Exactly-once tests
// compare them with 1, 2, ..., n: a repeated or lost update would show.
import type { LogClient } from '../../core/client';

export async function committedCounts(reader: LogClient, topic: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const { partition } of await reader.offsets(topic)) {
    let offset = 0;
    for (;;) {
      const fetched = await reader.fetch({ topic, partition }, offset, 1 << 20);
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
      for (const r of fetched.records) {
        const word = r.key!.toString();
        out.set(word, [...(out.get(word) ?? []), JSON.parse(r.value!.toString()) as number]);
      }
    }
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** Every word's counts 1, 2, ..., n, in word order: what exactly-once output looks like. */
export function exactCounts(counts: ReadonlyMap<string, number>): Map<string, number[]> {
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([w, n]) => [w, Array.from({ length: n }, (_, i) => i + 1)]));
}

/** The name a table of Kafka constants gives each number, for messages and logs. */
export function nameLookup(table: Readonly<Record<string, number>>): (n: number) => string | undefined {
  const names = new Map<number, string>(Object.entries(table).map(([name, n]) => [n, name]));
  return (n) => names.get(n);
}

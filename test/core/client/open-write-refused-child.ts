// Run by producer.test.ts in a process of its own, with Node's default
// unhandled-rejection policy (throw), which jest replaces with its own: a
// RecordWriter whose record was refused, or whose topic was, is ended turns
// later (as the DSL's collector ends them). Prints one JSON line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../../../core/client';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-open-write-'));
  const rill = Rill.open({ dir });
  try {
    await rill.admin.createTopics([{ name: 't', partitions: 1 }]);
    const producer = rill.producer();
    const badTime = producer.openWrite('t');
    badTime.append(Buffer.from('kv'), 0, 1, 1, 2, 1.5, undefined);
    const noTopic = producer.openWrite('no-such-topic');
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const errors = await Promise.all(
      [badTime.end(), noTopic.end()].map((p) =>
        p.then(
          () => 'resolved',
          (e: Error) => e.message,
        ),
      ),
    );
    console.log(JSON.stringify({ survived: true, errors }));
  } finally {
    await rill.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();

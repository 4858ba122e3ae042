// A record whose windows have all closed: to the dead-letter topic when one is
// configured, else dropped with a log line naming where it came from.
import type { TaskContext } from '../../operator';
import { describeOrigin, type KRecord } from '../../record';

export function lateRecord(task: TaskContext, deadLetterTopic: string | undefined, step: string, record: KRecord<unknown, unknown>, streamTime: number): void {
  task.metrics?.lateRecord();
  const reason = `late record: timestamp ${record.timestamp} is behind stream time ${streamTime} by more than the window's grace period (${step})`;
  if (deadLetterTopic !== undefined) task.deadLetter(deadLetterTopic, record, reason);
  else task.log.warn(`${step}: dropped ${reason}; ${describeOrigin(task.origin)}`);
}

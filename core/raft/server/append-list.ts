import type { ReplicatedStateMachine } from '../state-machine';

/** The demo state machine of the raft server: an append-only list of values. */
export class AppendList implements ReplicatedStateMachine<number> {
  values: string[] = [];

  apply(command: Buffer): number {
    this.values.push(command.toString('utf8'));
    return this.values.length;
  }

  snapshot(): Buffer {
    return Buffer.from(JSON.stringify(this.values), 'utf8');
  }

  restore(snapshot: Buffer): void {
    this.values = snapshot.length === 0 ? [] : (JSON.parse(snapshot.toString('utf8')) as string[]);
  }
}

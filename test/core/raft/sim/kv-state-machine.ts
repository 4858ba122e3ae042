import type { ReplicatedStateMachine } from '../../../../core/raft/state-machine';

export interface PutCommand {
  readonly key: string;
  readonly value: string;
  /** The client operation this command belongs to. */
  readonly op: number;
}

export function encodePut(cmd: PutCommand): Buffer {
  return Buffer.from(JSON.stringify(cmd), 'utf8');
}

/** The key-value store the simulation replicates; `apply` returns the operation id. */
export class KvStateMachine implements ReplicatedStateMachine<number> {
  private readonly data = new Map<string, string>();

  apply(command: Buffer): number {
    const cmd = JSON.parse(command.toString('utf8')) as PutCommand;
    this.data.set(cmd.key, cmd.value);
    return cmd.op;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  snapshot(): Buffer {
    return Buffer.from(JSON.stringify([...this.data]), 'utf8');
  }

  restore(snapshot: Buffer): void {
    this.data.clear();
    if (snapshot.length === 0) return;
    for (const [k, v] of JSON.parse(snapshot.toString('utf8')) as [string, string][]) this.data.set(k, v);
  }
}

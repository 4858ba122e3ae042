/**
 * The application replicated by Raft (the cluster controller implements it
 * next). Commands arrive in log order, exactly once per incarnation; after a
 * restart the state is rebuilt from the latest snapshot plus the committed
 * entries after it. `apply` must be deterministic: every replica computes the
 * same state from the same commands.
 */
export interface ReplicatedStateMachine<Result = unknown> {
  apply(command: Buffer, index: number): Result;
  /** The state after the last applied command, as bytes. */
  snapshot(): Buffer;
  /** Replace the state with a snapshot's bytes. */
  restore(snapshot: Buffer): void;
}

// The controller's replicated state machine: core/raft applies committed
// entries here, each entry one batch of metadata records (one decision).
import * as E from 'fp-ts/Either';
import type { ReplicatedStateMachine } from '../../raft';
import { decodeMetadataBatch } from './codec';
import { MetadataImage, type ApplyOutcome } from './image';
import type { MetadataRecord } from './records';

export interface EntryApplied {
  readonly index: number;
  readonly records: readonly MetadataRecord[];
  readonly outcomes: readonly ApplyOutcome[];
  /** Set when the entry could not be decoded: it is skipped on every replica alike. */
  readonly error?: string;
}

export class MetadataStateMachine implements ReplicatedStateMachine<EntryApplied> {
  private _image = new MetadataImage();
  private _lastAppliedIndex = 0;

  get image(): MetadataImage {
    return this._image;
  }
  get lastAppliedIndex(): number {
    return this._lastAppliedIndex;
  }

  apply(command: Buffer, index: number): EntryApplied {
    this._lastAppliedIndex = index;
    // Raft's own no-op entries (a new leader's first entry) carry no records.
    if (command.length === 0) return { index, records: [], outcomes: [] };
    const decoded = decodeMetadataBatch(command);
    // A poison entry must not crash every controller in turn: skip it, deterministically.
    if (E.isLeft(decoded)) return { index, records: [], outcomes: [], error: decoded.left };
    return { index, records: decoded.right, outcomes: this._image.applyAll(decoded.right) };
  }

  snapshot(): Buffer {
    return this._image.encode();
  }

  restore(snapshot: Buffer): void {
    const decoded = MetadataImage.decode(snapshot);
    if (E.isLeft(decoded)) throw new Error(`metadata snapshot is damaged: ${decoded.left}`);
    this._image = decoded.right;
  }

  /** After restore, the index the snapshot covers (core/raft knows it from the snapshot metadata). */
  restoredAt(index: number): void {
    this._lastAppliedIndex = index;
  }
}

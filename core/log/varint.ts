// The one varint codec of Rill lives in core/wire (the log sits above it).
// Bound here as plain constants, not re-exported: the record readers call these
// for every field of every record, and a CommonJS re-export (how TypeScript
// compiles `export { x } from`) is a getter on every call, which halved
// decodeRecordBatch's speed when measured.
import * as wire from '../wire';

export type VarintValue = wire.VarintValue;
export const VARINT_TRUNCATED = wire.VARINT_TRUNCATED;
export const VARINT_MALFORMED = wire.VARINT_MALFORMED;
export const varintStatusMessage = wire.varintStatusMessage;
export const readUnsignedVarint = wire.readUnsignedVarint;
export const writeUnsignedVarint = wire.writeUnsignedVarint;
export const sizeOfUnsignedVarint = wire.sizeOfUnsignedVarint;
export const readVarint = wire.readVarint;
export const writeVarint = wire.writeVarint;
export const sizeOfVarint = wire.sizeOfVarint;
export const readVarlong = wire.readVarlong;
export const writeVarlong = wire.writeVarlong;
export const sizeOfVarlong = wire.sizeOfVarlong;

// The one varint codec of Rill lives in core/wire (the log sits above it); this
// re-export keeps core/log's imports short.
export {
  VARINT_TRUNCATED,
  VARINT_MALFORMED,
  varintStatusMessage,
  readUnsignedVarint,
  writeUnsignedVarint,
  sizeOfUnsignedVarint,
  readVarint,
  writeVarint,
  sizeOfVarint,
  readVarlong,
  writeVarlong,
  sizeOfVarlong,
} from '../wire';
export type { VarintValue } from '../wire';

// Moved to core/wire (the one primitive codec); this re-export stays until the
// files that import it here have moved on.
export { Reader, Writer, DecodeError } from '../wire';

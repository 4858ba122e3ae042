// Kafka error codes live in one place, core/wire's ErrorCode; the protocol
// layer answers some of them itself (UNSUPPORTED_VERSION, INVALID_REQUEST, ...).
export { ErrorCode, errorName } from '../wire';

import { ApiKey, apiKeyName, ErrorCode, errorName } from '../../../core/wire';
import { ErrorCode as BrokerErrorCode } from '../../../core/broker';
import { ErrorCode as ClusterErrorCode } from '../../../core/cluster';
import { ApiKey as ProtocolApiKey, ErrorCode as ProtocolErrorCode } from '../../../core/protocol';

describe("Kafka's tables", () => {
  it("names error codes as Errors.java does, one name per code, and every module's re-export is the same table", () => {
    expect([ErrorCode.NOT_COORDINATOR, ErrorCode.INVALID_TXN_STATE, ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_UPDATE_VERSION]).toEqual([16, 48, 90, 95]);
    expect(errorName(51)).toBe('CONCURRENT_TRANSACTIONS');
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(9999)).toBe('ERROR_9999');
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(BrokerErrorCode).toBe(ErrorCode);
    expect(ClusterErrorCode).toBe(ErrorCode);
    expect(ProtocolErrorCode).toBe(ErrorCode);
  });

  it('number every API key from 0 without a gap', () => {
    const keys = Object.values(ApiKey);
    expect(keys).toEqual(keys.map((_, i) => i));
    expect(ApiKey.IncrementalAlterConfigs).toBe(44);
    expect(apiKeyName(18)).toBe('ApiVersions');
    expect(apiKeyName(1000)).toBe('ApiKey(1000)');
    expect(ProtocolApiKey).toBe(ApiKey);
  });
});

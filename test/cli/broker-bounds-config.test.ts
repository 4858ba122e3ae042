// The bound keys of `rill broker` (docs/operations.md): parsed from a config, defaulted, refused when not positive.
import { applyConfig, completeSettings, DEFAULT_SETTINGS } from '../../cli/broker-config';
import { DEFAULT_BROKER_LIMITS } from '../../core/broker';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_QUEUED_MAX_REQUEST_BYTES } from '../../core/protocol';

test('the bound keys fill their settings, and the defaults are the ones the broker and listener use', () => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(partial, { 'max.connections': '100', 'max.connections.per.ip': '10', 'queued.max.request.bytes': '1048576', 'fetch.max.bytes': '65536', 'max.broker.partitions': '5000', 'max.partitions.per.request': '50', 'log.max.open.files': '128' }, 'test');
  const s = completeSettings(partial);
  expect([s.maxConnections, s.maxConnectionsPerIp, s.queuedMaxRequestBytes, s.fetchMaxBytes, s.maxBrokerPartitions, s.maxPartitionsPerRequest, s.maxOpenFiles]).toEqual([100, 10, 1048576, 65536, 5000, 50, 128]);
  expect(DEFAULT_SETTINGS).toMatchObject({
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
    queuedMaxRequestBytes: DEFAULT_QUEUED_MAX_REQUEST_BYTES,
    fetchMaxBytes: DEFAULT_BROKER_LIMITS.fetchMaxBytes,
    maxBrokerPartitions: DEFAULT_BROKER_LIMITS.maxBrokerPartitions,
    maxPartitionsPerRequest: DEFAULT_BROKER_LIMITS.maxPartitionsPerRequest,
    maxOpenFiles: DEFAULT_BROKER_LIMITS.maxOpenFiles,
  });
});

test('a bound of 0 or -1 is refused with its key', () => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(partial, { 'max.connections': '0' }, 'test');
  expect(() => completeSettings(partial)).toThrow('max.connections must be at least 1');
  const other = { dataDir: '/tmp/x' };
  applyConfig(other, { 'log.max.open.files': '-1' }, 'test');
  expect(() => completeSettings(other)).toThrow('log.max.open.files must be at least 1');
});

// The bound keys of `rill broker` (docs/operations.md): parsed from a config, defaulted, refused when not positive.
import { applyConfig, completeSettings } from '../../cli/broker-config';

test('the bound keys fill their settings', () => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(
    partial,
    {
      'max.connections': '100',
      'max.connections.per.ip': '10',
      'queued.max.request.bytes': '1048576',
      'fetch.max.bytes': '65536',
      'max.broker.partitions': '5000',
      'max.partitions.per.request': '50',
      'log.max.open.files': '128',
      'request.receive.timeout.ms': '5000',
    },
    'test',
  );
  const s = completeSettings(partial);
  expect([
    s.maxConnections,
    s.maxConnectionsPerIp,
    s.queuedMaxRequestBytes,
    s.fetchMaxBytes,
    s.maxBrokerPartitions,
    s.maxPartitionsPerRequest,
    s.maxOpenFiles,
    s.requestReceiveTimeoutMs,
  ]).toEqual([100, 10, 1048576, 65536, 5000, 50, 128, 5000]);
});

test('a bound of 0 or -1 is refused with its key', () => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(partial, { 'max.connections': '0' }, 'test');
  expect(() => completeSettings(partial)).toThrow('max.connections must be at least 1');
  const other = { dataDir: '/tmp/x' };
  applyConfig(other, { 'log.max.open.files': '-1' }, 'test');
  expect(() => completeSettings(other)).toThrow('log.max.open.files must be at least 1');
});

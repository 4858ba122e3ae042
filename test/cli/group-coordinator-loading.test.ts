// `rill group` asks again while the group's coordinator answers that it is
// still loading the group's offsets (COORDINATOR_LOAD_IN_PROGRESS) or is not
// available: on a new cluster the offsets topic is created, and its partition
// loaded, at the first group request. Kafka's tools retry; the command used to
// fail at the first such answer. Here a broker's group port answers "loading"
// to its first describe, offset fetch and commit, then serves.
import * as E from 'fp-ts/Either';
import { runGroup } from '../../cli/group-command';
import { runProduce } from '../../cli/produce-command';
import { Broker } from '../../core/broker';
import { silentLogger } from '../../core/logging';
import { KafkaServer, singleNodePorts, type BrokerPorts } from '../../core/protocol';
import { ErrorCode } from '../../core/wire';
import { tempDirs } from '../support/tmp-dir';
import { fakeIO } from './fake-io';

const dirs = tempDirs('group-coordinator-loading');
let broker: Broker;
let server: KafkaServer;
/** How many more answers of each kind say "loading". */
const loading = { describe: 0, fetch: 0, commit: 0 };

beforeAll(async () => {
  broker = Broker.open({ dir: dirs.make(), scheduler: false });
  const ports = singleNodePorts(broker);
  const stillLoading = (kind: keyof typeof loading): boolean => loading[kind]-- > 0;
  const slowToLoad: BrokerPorts = {
    ...ports,
    groups: {
      ...ports.groups,
      describeGroup: (groupId) =>
        stillLoading('describe') ? E.left({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, message: 'loading the group' }) : ports.groups.describeGroup(groupId),
      fetchOffsets: (...args: Parameters<BrokerPorts['groups']['fetchOffsets']>) =>
        stillLoading('fetch') ? E.left({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, message: 'loading the group' }) : ports.groups.fetchOffsets(...args),
      commitOffsets: (groupId, memberId, generationId, commits) =>
        stillLoading('commit')
          ? commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }))
          : ports.groups.commitOffsets(groupId, memberId, generationId, commits),
    },
  };
  server = await KafkaServer.start({ ports: slowToLoad, port: 0, host: '127.0.0.1', logger: silentLogger });
  broker.createTopic({ name: 'clicks', partitions: 2 });
});

afterAll(async () => {
  await server.close(1000);
  await broker.close();
  dirs.removeAll();
});

const bootstrap = () => ['--bootstrap', `127.0.0.1:${server.port}`];

test('reset-offsets and describe are asked again while the coordinator loads, and then succeed', async () => {
  expect(await runProduce(['--topic', 'clicks', ...bootstrap()], fakeIO('a\nb\nc\nd\n'))).toBe(0);
  Object.assign(loading, { describe: 2, fetch: 2, commit: 2 });
  const reset = fakeIO();
  expect({ code: await runGroup(['reset-offsets', 'g', '--topic', 'clicks', '--to-latest', ...bootstrap()], reset), err: reset.err() }).toEqual({
    code: 0,
    err: '',
  });
  const described = fakeIO();
  expect(await runGroup(['describe', 'g', '--format', 'json', ...bootstrap()], described)).toBe(0);
  const offsets = JSON.parse(described.out()).offsets as { committed: number; lag: number }[];
  expect(offsets.map((o) => [o.committed, o.lag])).toEqual([
    [expect.any(Number), 0],
    [expect.any(Number), 0],
  ]);
  expect(offsets.reduce((n, o) => n + o.committed, 0)).toBe(4);
  // Every "loading" answer was used up: the commands asked again past them.
  expect(loading).toEqual({ describe: -2, fetch: -1, commit: -1 });
});

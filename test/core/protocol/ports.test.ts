// The handlers over ports that answer later (as a cluster's do): checks made once
// in the handler never reach the port, and answers that come out of order are
// put back in the request's order.
import * as E from 'fp-ts/Either';
import { apis, ErrorCode, type BrokerPorts, type PartitionPort, type RequestContext } from '../../../core/protocol';

/** Ports whose every call fails the test unless `partitions` overrides it. */
function context(partitions: Partial<PartitionPort>, apiVersion = 7): RequestContext {
  const unexpected = (): never => {
    throw new Error('unexpected port call');
  };
  const ports: BrokerPorts = {
    nodeId: 1,
    metadata: {
      clusterId: 'c',
      brokers: unexpected,
      controllerId: unexpected,
      topicNames: unexpected,
      topic: unexpected,
      topicName: unexpected,
      currentLeader: unexpected,
      autoCreateTopic: unexpected,
    },
    partitions: {
      produce: unexpected,
      fetch: unexpected,
      listOffset: unexpected,
      offsetForLeaderEpoch: unexpected,
      deleteRecords: unexpected,
      initProducerId: unexpected,
      writeTxnMarker: unexpected,
      ...partitions,
    },
    admin: {
      maxPartitionsPerRequest: 10,
      createTopic: unexpected,
      deleteTopic: unexpected,
      createPartitions: unexpected,
      topicConfigs: unexpected,
      alterTopicConfig: unexpected,
    },
    groups: {
      findCoordinator: unexpected,
      joinGroup: unexpected,
      syncGroup: unexpected,
      heartbeat: unexpected,
      leaveGroup: unexpected,
      describeGroup: unexpected,
      listGroups: unexpected,
      deleteGroup: unexpected,
      deleteOffsets: unexpected,
      commitOffsets: unexpected,
      fetchOffsets: unexpected,
    },
  };
  return {
    ...ports,
    apiVersion,
    clientId: 'test',
    principal: 'User:ANONYMOUS',
    clientHost: '127.0.0.1',
    advertised: { host: 'h', port: 1 },
    signal: new AbortController().signal,
    autoCreateTopics: false,
    log: () => undefined,
  };
}

const batch = Buffer.from('batch');
const produceRequest = (acks: number, partitions: number[]): apis.ProduceRequest => ({
  transactionalId: null,
  acks,
  timeoutMs: 0,
  topicData: [{ name: 't', partitionData: partitions.map((index) => ({ index, records: batch })) }],
});

test('Produce waits for a replicated append and answers each partition in request order, whatever order they finish in', async () => {
  const finish = new Map<number, () => void>();
  const timeouts: number[] = [];
  const ctx = context({
    produce: (_topic, partition, _records, acks, timeoutMs) => {
      timeouts.push(timeoutMs);
      expect(acks).toBe(-1);
      return new Promise((resolve) => finish.set(partition, () => resolve(E.right({ baseOffset: partition * 10, logAppendTime: -1, logStartOffset: 0 }))));
    },
  });
  const answer = apis.produce.handle(produceRequest(-1, [0, 1]), ctx) as Promise<apis.ProduceResponse>;
  expect(answer).toBeInstanceOf(Promise);
  // Timeout 0: the 30 s default an acks=all append waits for the in-sync replicas.
  expect(timeouts).toEqual([30_000, 30_000]);
  finish.get(1)!();
  finish.get(0)!();
  const r = await answer;
  expect(r.responses[0].partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
    [0, 0, 0],
    [1, 0, 10],
  ]);
});

test('Produce refuses bad acks and empty records in the handler, without asking the port', () => {
  const ctx = context({});
  const badAcks = apis.produce.handle(produceRequest(2, [0]), ctx) as apis.ProduceResponse;
  expect(badAcks.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  const empty = apis.produce.handle(
    { ...produceRequest(1, [0]), topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }] },
    ctx,
  ) as apis.ProduceResponse;
  expect(empty.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
});

test('Produce with acks=0 gets no response, also when the port answers later', async () => {
  const ctx = context({ produce: () => Promise.resolve(E.right({ baseOffset: 0, logAppendTime: -1, logStartOffset: 0 })) });
  expect(await apis.produce.handle(produceRequest(0, [0]), ctx)).toBeNull();
});

test("a port's refusal becomes the partition's error code and message", async () => {
  const ctx = context({ produce: () => E.left({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: 'not the leader' }) });
  const r = apis.produce.handle(produceRequest(1, [3]), ctx) as apis.ProduceResponse;
  expect(r.responses[0].partitionResponses[0]).toMatchObject({
    index: 3,
    errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
    errorMessage: 'not the leader',
    baseOffset: -1,
  });
});

test('CreateTopics refuses manual assignments and partitions beyond max.partitions.per.request before the admin port', async () => {
  const ctx = context({});
  const topic = (name: string, numPartitions: number, assignments: { partitionIndex: number; brokerIds: number[] }[] = []) => ({
    name,
    numPartitions,
    replicationFactor: 1,
    assignments,
    configs: [],
  });
  const r = (await apis.createTopics.handle(
    { topics: [topic('placed', 1, [{ partitionIndex: 0, brokerIds: [1] }]), topic('huge', 11)], timeoutMs: 1000, validateOnly: false },
    ctx,
  )) as apis.CreateTopicsResponse;
  expect(r.topics.map((t) => [t.name, t.errorCode])).toEqual([
    ['placed', ErrorCode.INVALID_REQUEST],
    ['huge', ErrorCode.POLICY_VIOLATION],
  ]);
});

// Every API, at its lowest and highest version, against a broker whose every
// port throws: each request is answered (with error codes, never a closed
// connection), and the connection goes on serving the next one. The requests
// are generated from the schemas with one entry in every list, so each
// per-topic, per-partition or per-resource answer of error-answer.ts is built,
// encoded and decoded.
import { Broker } from '../../../../core/broker';
import { silentLogger } from '../../../../core/logging';
import { APIS, KafkaConnection, KafkaServer, singleNodePorts, inRange, type BrokerPorts, type Field, type FieldType } from '../../../../core/protocol';
import { encodeRecordBatch } from '../../../../core/log';
import { tempDirs } from '../../../support/tmp-dir';

const dirs = tempDirs('every-api-failure');
let broker: Broker;
let server: KafkaServer;
let thrown = 0;

/** `object` with every method replaced by one that throws (and counts). */
function throwing<T extends object>(object: T): T {
  return new Proxy(object, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return () => {
        thrown++;
        throw new Error(`port ${String(key)} is broken`);
      };
    },
  });
}

beforeAll(async () => {
  broker = Broker.open({ dir: dirs.make(), scheduler: false });
  const ports = singleNodePorts(broker);
  const broken: BrokerPorts = {
    ...ports,
    metadata: throwing(ports.metadata),
    partitions: throwing(ports.partitions),
    admin: throwing(ports.admin),
    groups: throwing(ports.groups),
    transactions: ports.transactions && throwing(ports.transactions),
  };
  server = await KafkaServer.start({ ports: broken, port: 0, host: '127.0.0.1', logger: silentLogger });
});

afterAll(async () => {
  await server.close(1000);
  await broker.close();
  dirs.removeAll();
});

/** A value of `type` at `version`: one element in every list, 1 for numbers (acks=1: Produce answers). */
function sample(type: FieldType, version: number, name: string): unknown {
  switch (type.kind) {
    case 'array':
      return [sample(type.element, version, name)];
    case 'struct':
      return Object.fromEntries(type.fields.filter((f: Field) => inRange(f.versions, version)).map((f: Field) => [f.name, sample(f.type, version, f.name)]));
    case 'primitive':
      switch (type.name) {
        case 'string':
          return name === 'groupInstanceId' ? null : 'x';
        case 'bool':
          return false;
        case 'uuid':
          return '00000000000000000000000000000001';
        case 'bytes':
          return Buffer.from('x');
        case 'records':
          return encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
        default:
          return 1;
      }
  }
}

/** Served over a plain listener without ports: nothing to break. */
const PORTLESS = new Set(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate']);

test('every API with a failing port is answered, and the connection keeps serving', async () => {
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`);
  const unanswered: string[] = [];
  try {
    for (const api of APIS.filter((a) => !PORTLESS.has(a.name))) {
      for (const version of new Set([api.versions.min, api.versions.max])) {
        const request = sample({ kind: 'struct', fields: api.request.fields }, version, api.name) as object;
        await c.send(api, version, request).catch((e: Error) => unanswered.push(`${api.name} v${version}: ${e.message}`));
      }
    }
    expect(unanswered).toEqual([]);
    // The broken ports were reached: the answers above came from the failure path.
    expect(thrown).toBeGreaterThan(20);
  } finally {
    c.close();
  }
});

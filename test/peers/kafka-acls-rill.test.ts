// Kafka's own kafka-acls tool (org.apache.kafka.tools.AclCommand: the Java
// AdminClient's createAcls, describeAcls and deleteAcls, at the versions
// kafka-clients 4.x picks) against `rill broker --authorizer`: the tool's
// plaintext principal, User:ANONYMOUS, is the super user.
import { runJava } from './kafka/jvm';
import { startRillBroker, type RillPeer } from './rill-broker';

let rill: RillPeer;

beforeAll(async () => {
  rill = await startRillBroker({ lifetimeMs: 5 * 60_000, args: ['--authorizer', '--super-users', 'User:ANONYMOUS'] });
}, 60_000);

afterAll(() => rill?.stop());

const kafkaAcls = (args: string[]) => runJava('org.apache.kafka.tools.AclCommand', ['--bootstrap-server', rill.bootstrap, ...args], { lifetimeMs: 120_000 });
const ORDERS = ['--topic', 'orders-', '--resource-pattern-type', 'prefixed'];

test('kafka-acls adds, lists and removes ACLs on rill broker', async () => {
  const added = await kafkaAcls(['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Describe', ...ORDERS]);
  expect(added).toMatchObject({ code: 0 });
  const listed = await kafkaAcls(['--list', ...ORDERS]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain('principal=User:alice, host=*, operation=READ, permissionType=ALLOW');
  expect(listed.stdout).toContain('principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW');
  const removed = await kafkaAcls(['--remove', '--force', '--allow-principal', 'User:alice', '--operation', 'Read', ...ORDERS]);
  expect(removed).toMatchObject({ code: 0 });
  const after = await kafkaAcls(['--list', ...ORDERS]);
  expect(after.stdout).not.toContain('operation=READ');
  expect(after.stdout).toContain('operation=DESCRIBE');
}, 240_000);

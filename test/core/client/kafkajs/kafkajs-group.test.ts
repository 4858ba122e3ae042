// The group scenario of test/support/kafkajs-group-scenario.ts against a `rill
// broker` process (port 0): the kafkajs LogClient's subscribe, on Rill's own broker.
import * as path from 'node:path';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../../../support/broker-process';
import { twoInstanceGroupScenario } from '../../../support/kafkajs-group-scenario';
import { tempDirs } from '../../../support/tmp-dir';

const dirs = tempDirs('kafkajs-group');
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBrokerProcess(
    ['--data-dir', path.join(dirs.make(), 'data'), '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0'],
    120_000,
  );
});
// The scenario's own afterAll (its apps and clients) runs before the broker's, declared after it.
twoInstanceGroupScenario(() => `127.0.0.1:${broker.port}`);

afterAll(async () => {
  broker?.child.kill('SIGTERM');
  await broker?.exited;
  killBrokerProcesses();
  dirs.removeAll();
});

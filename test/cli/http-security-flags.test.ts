// The HTTP security flags refused before anything is served, each naming what
// to give: basic auth where the command has no SASL login to check passwords
// with, half a TLS pair, an unknown client-auth value.
import { runConsole } from '../../cli/console-command';
import { runSchemaRegistry } from '../../cli/schema-registry-command';
import { runWorker } from '../../cli/worker-command';
import { fakeIO } from './fake-io';

async function cli(run: (argv: string[], io: ReturnType<typeof fakeIO>, stop: AbortSignal) => Promise<number>, argv: string[]) {
  const io = fakeIO();
  const code = await run(argv, io, new AbortController().signal);
  return { code, err: io.err() };
}

const NOWHERE = '127.0.0.1:1';

test('basic auth without a SASL login to the brokers is a usage error', async () => {
  const console = await cli(runConsole, ['--bootstrap', NOWHERE, '--port', '0', '--console-basic-auth']);
  expect(console.code).toBe(2);
  expect(console.err).toContain(
    '--console-basic-auth checks passwords by a SASL login at the brokers: give --command-config with security.protocol=SASL_PLAINTEXT or SASL_SSL',
  );
  const worker = await cli(runWorker, [
    '--app',
    'wc',
    '--pipeline',
    'examples/wordcount/pipeline.ts',
    '--controllers',
    `1@${NOWHERE}`,
    '--brokers',
    NOWHERE,
    '--query-port',
    '0',
    '--query-basic-auth',
  ]);
  expect(worker.code).toBe(2);
  expect(worker.err).toContain('--query-basic-auth checks passwords by a SASL login at the brokers');
});

test('half a TLS pair and an unknown client-auth value are usage errors naming the flags', async () => {
  const half = await cli(runSchemaRegistry, ['--bootstrap', NOWHERE, '--port', '0', '--schema-registry-ssl-cert', 'cert.pem']);
  expect(half.code).toBe(2);
  expect(half.err).toContain('TLS needs both --schema-registry-ssl-cert and --schema-registry-ssl-key');
  const caOnly = await cli(runConsole, ['--bootstrap', NOWHERE, '--port', '0', '--console-ssl-ca', 'ca.pem']);
  expect(caOnly.code).toBe(2);
  expect(caOnly.err).toContain('--console-ssl-ca and --console-ssl-client-auth need TLS on the console');
  const clientAuth = await cli(runConsole, ['--bootstrap', NOWHERE, '--port', '0', '--console-ssl-client-auth', 'maybe']);
  expect(clientAuth.code).toBe(2);
  expect(clientAuth.err).toContain('--console-ssl-client-auth must be one of none, requested, required, not "maybe"');
  const missing = await cli(runConsole, ['--bootstrap', NOWHERE, '--port', '0', '--console-ssl-cert', 'no-such.pem', '--console-ssl-key', 'no-such.key']);
  expect(missing.code).toBe(2);
  expect(missing.err).toContain('--console-ssl-*: ssl.certificate.location: cannot read no-such.pem');
});

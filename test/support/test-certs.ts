// Certificates made at test time with openssl, in a temp dir: a CA, a broker
// certificate for 127.0.0.1 and localhost, a client certificate, an expired
// client certificate, and a second CA nobody trusts (with its own broker
// certificate); for the cluster's internal TLS, node certificates (server and
// client at once) from each CA and one from the right CA with another subject.
// EC keys: quick to make.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDirs } from './tmp-dir';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The CA that signs the others. */
  ca: string;
  server: CertFiles;
  /** Subject CN=rill-test-client,O=Rill Tests. */
  client: CertFiles;
  /** Signed by the CA, valid in January 2020 only. */
  expiredClient: CertFiles;
  /** A broker certificate signed by another CA (an untrusted one). */
  untrustedServer: CertFiles;
  /** A cluster node's certificate (server and client, 127.0.0.1), subject CN=rill-node,O=Rill Tests: principal User:CN=rill-node,O=Rill Tests. */
  node: CertFiles;
  /** Signed by the CA too, subject CN=rill-intruder,O=Rill Tests. */
  intruderNode: CertFiles;
  /** A node certificate of the untrusted CA, subject CN=rill-node,O=Rill Tests. */
  untrustedNode: CertFiles;
  /** The untrusted CA's certificate. */
  otherCa: string;
  /** The PEM text of a file. */
  read(file: string): string;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-certs-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const selfSignedCa = (name: string, cn: string) =>
    openssl('req', '-x509', ...EC, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`), '-days', '2', '-subj', `/CN=${cn}`);
  const request = (name: string, subject: string) => openssl('req', ...EC, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject);
  const sign = (name: string, ca: string, extensions?: string) => {
    const args = [
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${ca}.pem`),
      '-CAkey',
      at(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
    ];
    if (extensions) {
      fs.writeFileSync(at(`${name}.ext`), extensions);
      args.push('-extfile', at(`${name}.ext`));
    }
    openssl(...args);
  };
  const files = (name: string): CertFiles => ({ cert: at(`${name}.pem`), key: at(`${name}.key`) });
  const serverExtensions = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';

  selfSignedCa('ca', 'Rill Test CA');
  request('server', '/CN=localhost');
  sign('server', 'ca', serverExtensions);
  request('client', '/O=Rill Tests/CN=rill-test-client');
  sign('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  // x509 -req cannot date a certificate in the past; `openssl ca` can.
  request('expired', '/CN=rill-expired-client');
  fs.writeFileSync(at('index.txt'), '');
  fs.writeFileSync(at('serial'), '1000\n');
  fs.mkdirSync(at('issued'));
  fs.writeFileSync(
    at('ca.cnf'),
    `[ca]\ndefault_ca = test\n[test]\ndatabase = ${at('index.txt')}\nserial = ${at('serial')}\nnew_certs_dir = ${at('issued')}\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n`,
  );
  openssl(
    'ca',
    '-batch',
    '-config',
    at('ca.cnf'),
    '-cert',
    at('ca.pem'),
    '-keyfile',
    at('ca.key'),
    '-in',
    at('expired.csr'),
    '-out',
    at('expired.pem'),
    '-notext',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
  );
  selfSignedCa('other-ca', 'Untrusted CA');
  request('untrusted', '/CN=localhost');
  sign('untrusted', 'other-ca', serverExtensions);
  const nodeExtensions = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
  for (const [name, ca, cn] of [
    ['node', 'ca', 'rill-node'],
    ['intruder-node', 'ca', 'rill-intruder'],
    ['untrusted-node', 'other-ca', 'rill-node'],
  ]) {
    request(name, `/O=Rill Tests/CN=${cn}`);
    sign(name, ca, nodeExtensions);
  }

  return {
    dir,
    ca: at('ca.pem'),
    server: files('server'),
    client: files('client'),
    expiredClient: files('expired'),
    untrustedServer: files('untrusted'),
    node: files('node'),
    intruderNode: files('intruder-node'),
    untrustedNode: files('untrusted-node'),
    otherCa: at('other-ca.pem'),
    read: (file) => fs.readFileSync(file, 'utf8'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * For a test file: temp dirs and test certificates, the certificates made
 * before its tests (beforeAll), both removed after them (afterAll). `certs()`
 * is the certificates, from inside a test or hook.
 */
export function certsAndTempDirs(prefix: string): { dirs: ReturnType<typeof tempDirs>; certs: () => TestCerts } {
  const dirs = tempDirs(prefix);
  let made: TestCerts | undefined;
  beforeAll(() => {
    made = makeTestCerts();
  });
  afterAll(() => {
    dirs.removeAll();
    made?.remove();
  });
  const certs = () => {
    if (made === undefined) throw new Error('the test certificates are made in beforeAll: use them from a test or a hook');
    return made;
  };
  return { dirs, certs };
}

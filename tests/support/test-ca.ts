import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary } from './system-package.js';

export interface TestCa {
  /** The CA certificate a client trusts, PEM. */
  ca: string;
  /** A server certificate for localhost and 127.0.0.1, signed by the CA, and its key. */
  cert: string;
  key: string;
}

/** A throwaway certificate authority and one server certificate, made with openssl in `dir`. */
export function makeTestCa(dir: string): TestCa {
  const openssl = ensureBinary('openssl', 'openssl');
  const run = (...args: string[]): void => {
    execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=CCUS Gate test CA', '-days', '2');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return { ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
}

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, SERVER_CLI, TerminalProcess } from '../support/terminal-process.js';

/** `ccus-gate-server` as an operator runs it. */
describe('ccus-gate-server', () => {
  const dir = tempDir('server-cli');
  const run = (...args: string[]) => spawnSync(process.execPath, [SERVER_CLI, ...args], { encoding: 'utf8' });
  const writeConfig = (name: string, config: unknown): string => {
    const path = join(dir.path, name);
    writeFileSync(path, JSON.stringify(config, null, 2));
    return path;
  };

  beforeAll(() => buildOnce(), 120_000);
  afterAll(() => dir.remove());

  it('names every bad option in its config and exits with EX_CONFIG', () => {
    const path = writeConfig('bad.json', {
      database: 'server.db',
      http: { port: 70000 },
      broker: { mode: 'embedded', prot: 1883 },
      ccus: { mode: 'http', url: 'ftp://ccus' },
    });
    const result = run('migrate', '--config', path);
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('http.port: 70000; must be at most 65535');
    expect(result.stderr).toContain('broker.prot: 1883; is not an option; check its spelling against server/README.md');
    expect(result.stderr).toContain('ccus.url: "ftp://ccus"; must be an http:// or https:// URL');
    expect(run('migrate', '--config', join(dir.path, 'missing.json')).stderr).toContain(
      'cannot read the config file (ENOENT)',
    );
  });

  it('names every file its config names that cannot be read, and exits with EX_CONFIG before opening anything', () => {
    // The production example as a newcomer copies it, before making its certificates and keys.
    const example = JSON.parse(
      readFileSync(new URL('../../server/deploy/server.example.json', import.meta.url), 'utf8'),
    );
    const path = writeConfig('files.json', {
      ...example,
      database: 'files.db',
      ccus: { mode: 'file', dir: 'files-uploads' },
    });
    const result = run('serve', '--config', path);
    expect(result.status).toBe(78);
    for (const [option, file] of [
      ['http.tls.certFile', '/etc/ccus-gate/tls/server.crt'],
      ['http.tls.keyFile', '/etc/ccus-gate/tls/server.key'],
      ['broker.passwordFile', '/etc/ccus-gate/broker.password'],
      ['broker.caFile', '/etc/ccus-gate/tls/ca.crt'],
      ['updates.publicKeyFile', '/etc/ccus-gate/release-signing.pub'],
    ]) {
      expect(result.stderr).toContain(`${option}: ${JSON.stringify(file)}; cannot be read: no such file`);
    }
    expect(result.stderr).not.toContain('    at ');
    expect(readdirSync(dir.path)).not.toContain('files.db');
    expect(readdirSync(dir.path)).not.toContain('files-uploads');
    // mosquitto-files reads only the server's broker password.
    const files = run('mosquitto-files', '--config', path, '--out', join(dir.path, 'mosquitto'));
    expect(files.status).toBe(78);
    expect(files.stderr).toContain('broker.passwordFile');
    expect(files.stderr).not.toContain('http.tls.certFile');
  });

  it('names a file that is there but does not hold what its option wants, as a config error', () => {
    // An RSA key where the release key goes: readable, but not the operator's Ed25519 key.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(dir.path, 'rsa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir.path, 'garbage.pub'), 'not a key\n');
    for (const key of ['rsa.pub', 'garbage.pub']) {
      const path = writeConfig('wrong-key.json', {
        database: 'wrong-key.db',
        broker: { mode: 'embedded', port: 0 },
        http: { port: 0 },
        ccus: { mode: 'file', dir: 'wrong-key-uploads' },
        updates: { publicKeyFile: key, publicUrl: 'https://ccus-gate.example' },
      });
      const result = run('serve', '--config', path);
      expect(result.status).toBe(78);
      expect(result.stderr).toContain(
        `updates.publicKeyFile: ${JSON.stringify(join(dir.path, key))}; must be an Ed25519 public key in PEM`,
      );
      expect(result.stderr).not.toContain('    at ');
      expect(readdirSync(dir.path)).not.toContain('wrong-key.db');
    }
  });

  it('refuses a CCUS claim too short for a send to fit in, since a second server could then send the record too', () => {
    const path = writeConfig('claim.json', {
      database: 'server.db',
      broker: { mode: 'embedded' },
      ccus: { mode: 'http', url: 'http://ccus.example', timeoutSeconds: 10 },
      forwarder: { claimSeconds: 15 },
    });
    const result = run('migrate', '--config', path);
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('forwarder.claimSeconds');
    expect(result.stderr).toContain('must be at least twice ccus.timeoutSeconds (10)');
  });

  it('creates an operator token, writes Mosquitto files, and serves until SIGTERM', async () => {
    writeFileSync(join(dir.path, 'service.password'), 'service-secret\n');
    const external = writeConfig('external.json', {
      database: 'server.db',
      broker: {
        mode: 'external',
        url: 'mqtt://127.0.0.1:1',
        username: 'ccus-gate-server',
        passwordFile: 'service.password',
      },
      ccus: { mode: 'file', dir: 'uploads' },
    });
    const token = run('operator-token', '--config', external);
    expect(token.status).toBe(0);
    expect(token.stdout.trim()).toMatch(/^ccg_[A-Za-z0-9_-]{43}$/);
    const files = run('mosquitto-files', '--config', external, '--out', join(dir.path, 'mosquitto'));
    expect(files.status).toBe(0);
    expect(readFileSync(join(dir.path, 'mosquitto', 'acl'), 'utf8')).toBe(
      readFileSync(new URL('../../server/deploy/mosquitto/acl', import.meta.url), 'utf8'),
    );
    expect(readFileSync(join(dir.path, 'mosquitto', 'passwd'), 'utf8')).toMatch(/^ccus-gate-server:\$7\$101\$/);

    const embedded = writeConfig('embedded.json', {
      database: 'server.db',
      http: { host: '127.0.0.1', port: 0 },
      broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      ccus: { mode: 'simulator', port: 0 },
    });
    const serve = new TerminalProcess('serve', embedded, SERVER_CLI);
    const started = await serve.waitForLine('the server to start', (line) => line.msg === 'sync server started');
    // Which database it runs on, said at start: with several servers, one on the wrong one shows.
    expect(started.database).toBe(join(dir.path, 'server.db'));
    const health = await fetch(`${String(started.http)}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
    const records = await fetch(`${String(started.http)}/api/v1/fleet/terminals`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    expect(records.status).toBe(200);
    // Prometheus scrapes the operator's metrics; the embedded broker counts the server's own connection.
    const metrics = await fetch(`${String(started.http)}/api/v1/fleet/metrics`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    expect(await metrics.text()).toMatch(/^ccus_gate_broker_connections [1-9]/m);
    expect(await serve.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('creates its database, its log of CCUS uploads and its files owner-only; Mosquitto can read its files', () => {
    const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
    writeFileSync(join(dir.path, 'modes.password'), 'service-secret\n', { mode: 0o600 });
    const config = writeConfig('modes.json', {
      database: 'modes/server.db',
      broker: {
        mode: 'external',
        url: 'mqtt://127.0.0.1:1',
        username: 'ccus-gate-server',
        passwordFile: 'modes.password',
      },
      ccus: { mode: 'file', dir: 'modes/uploads' },
    });
    // Run under the umask most systems start with: it is the server's job to be stricter.
    const result = spawnSync(
      'sh',
      ['-c', `umask 022 && "${process.execPath}" "${SERVER_CLI}" migrate --config "${config}"`],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const database = join(dir.path, 'modes');
    for (const name of readdirSync(database)) {
      expect({ name, mode: mode(join(database, name)) }).toEqual({ name, mode: name === 'uploads' ? '700' : '600' });
    }
    expect(mode(database)).toBe('700');

    const files = spawnSync(
      'sh',
      [
        '-c',
        `umask 077 && "${process.execPath}" "${SERVER_CLI}" mosquitto-files --config "${config}" --out "${join(dir.path, 'modes-mosquitto')}"`,
      ],
      { encoding: 'utf8' },
    );
    expect(files.status, files.stderr).toBe(0);
    // Mosquitto runs as its own user: the password file is for its group, the ACL for anyone.
    expect(mode(join(dir.path, 'modes-mosquitto', 'passwd'))).toBe('640');
    expect(mode(join(dir.path, 'modes-mosquitto', 'acl'))).toBe('644');
  });
});

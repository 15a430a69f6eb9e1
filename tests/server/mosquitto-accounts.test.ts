import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MosquittoAccounts, mosquittoHash } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, SERVER_CLI } from '../support/terminal-process.js';

/**
 * Several servers keeping one Mosquitto password file: each writes the whole file when a
 * terminal changes, and none may drop another's account (it would be refused at its next
 * connection) or keep a removed terminal's.
 */
describe("Mosquitto's password file kept by several servers", () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;

  beforeEach(() => {
    dir = tempDir('mosquitto-accounts');
    file = join(dir.path, 'passwd');
  });
  afterEach(() => dir.remove());

  const users = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(':')[0]);
  const terminal = (id: string) => ({ username: id, hash: mosquittoHash(`${id}-secret`) });

  it("keeps the other servers' accounts and drops a removed terminal's", () => {
    const server = (i: number, other: number) =>
      new MosquittoAccounts({
        passwordFile: file,
        services: [{ username: `ccus-gate-server-${i}`, password: `secret-${i}` }],
        otherServices: [`ccus-gate-server-${other}`],
      });
    const [first, second] = [server(0, 1), server(1, 0)];
    first.sync([terminal('gate-01'), terminal('gate-02')]);
    second.sync([terminal('gate-01'), terminal('gate-02')]);
    expect(users()).toEqual(['ccus-gate-server-1', 'ccus-gate-server-0', 'gate-01', 'gate-02']);
    const secondLine = readFileSync(file, 'utf8').split('\n')[0];
    // gate-02 is removed; the first server writes the file again, the second's line as it was.
    first.sync([terminal('gate-01')]);
    expect(users()).toEqual(['ccus-gate-server-0', 'ccus-gate-server-1', 'gate-01']);
    expect(readFileSync(file, 'utf8').split('\n')[1]).toBe(secondLine);
  });

  it('without the others named, a server keeps only its own account, as one server should', () => {
    const alone = new MosquittoAccounts({
      passwordFile: file,
      services: [{ username: 'ccus-gate-server', password: 'secret' }],
    });
    alone.sync([terminal('gate-01')]);
    alone.sync([terminal('gate-01')]);
    expect(users()).toEqual(['ccus-gate-server', 'gate-01']);
  });

  it("writes every server's account into the ACL with mosquitto-files, and keeps the others' lines", () => {
    buildOnce();
    writeFileSync(join(dir.path, 'broker.password'), 'secret-1\n');
    writeFileSync(file, `ccus-gate-server-0:${mosquittoHash('secret-0')}\ngate-gone:${mosquittoHash('x')}\n`);
    const config = join(dir.path, 'server.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: 'server.db',
        broker: {
          mode: 'external',
          url: 'mqtt://127.0.0.1:1',
          username: 'ccus-gate-server-1',
          passwordFile: 'broker.password',
          mosquitto: { passwordFile: file, otherServices: ['ccus-gate-server-0'] },
        },
        ccus: { mode: 'file', dir: 'uploads' },
      }),
    );
    const run = spawnSync(process.execPath, [SERVER_CLI, 'mosquitto-files', '--config', config, '--out', dir.path], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const acl = readFileSync(join(dir.path, 'acl'), 'utf8');
    expect(acl).toMatch(/^user ccus-gate-server-1\ntopic readwrite /m);
    expect(acl).toMatch(/^user ccus-gate-server-0\ntopic readwrite /m);
    expect(users()).toEqual(['ccus-gate-server-1', 'ccus-gate-server-0']);
  });
});

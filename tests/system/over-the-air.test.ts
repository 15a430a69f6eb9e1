import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type HttpListener, listenHttp, makeReleaseKey, signRelease, type UpdatesSetup } from '@ccus-gate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakRelease, buildRelease, installRelease } from '../support/release-builds.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, type LogLine, unitEnvironment, writeTerminalConfig } from '../support/terminal-process.js';
import { makeTestCa } from '../support/test-ca.js';
import { waitFor as waitForAny, waitForAsync as waitForAnyAsync } from '../support/wait.js';

/**
 * The launcher as systemd runs it (Restart=always): started again whenever it ends, with its
 * JSON log lines and the launcher's own words collected across every run.
 */
let terminal: Supervised;
/** As waitFor, with what the terminal said last when it times out. */
const waitFor = (what: string, check: () => boolean, ms: number) =>
  waitForAny(what, check, ms).catch((error: Error) => {
    throw new Error(`${error.message}${terminal?.tail() ?? ''}`);
  });
const waitForAsync = (what: string, check: () => Promise<boolean>, ms: number) =>
  waitForAnyAsync(what, check, ms).catch((error: Error) => {
    throw new Error(`${error.message}${terminal?.tail() ?? ''}`);
  });

class Supervised {
  readonly lines: LogLine[] = [];
  readonly said: string[] = [];
  runs = 0;
  #child: ChildProcess | null = null;
  #stopping = false;

  constructor(
    readonly launch: string,
    readonly config: string,
  ) {}

  start(): void {
    this.runs++;
    const child = spawn('bash', [this.launch, 'run', '--config', this.config], {
      stdio: 'pipe',
      // As systemd starts it: the unit's environment (the launcher puts Node's flags on its command line).
      env: { ...process.env, ...unitEnvironment() },
    });
    this.#child = child;
    child.stdin?.on('error', () => {});
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.said.push(text);
      }
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (text) => this.said.push(text));
    child.once('exit', () => {
      if (!this.#stopping) setTimeout(() => this.start(), 300); // RestartSec
    });
  }

  tap(cards: readonly string[]): void {
    this.#child?.stdin?.write(`${cards.join('\n')}\n`);
  }

  started(version: string): LogLine[] {
    return this.lines.filter((line) => line.msg === 'terminal started' && line.firmware === version);
  }

  /** What the terminal and its launcher said last, for a failure's message. */
  tail(): string {
    const logged = this.lines
      .filter((line) => line.module === 'terminal:update' || line.level >= 40 || line.msg === 'terminal started')
      .slice(-15)
      .map(
        (line) =>
          `${line.msg} ${JSON.stringify({ ...line, msg: undefined, time: undefined, pid: undefined, hostname: undefined })}`,
      );
    return `\nlauncher and stderr:\n${this.said.slice(-15).join('\n')}\nlog:\n${logged.join('\n')}`;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child === null || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

/**
 * Over-the-air updates, end to end: releases built by `npm run release`, signed with the
 * operator's key, published to a real server over HTTPS, rolled out to a real terminal
 * process that systemd (here, a loop) restarts. One good update, then a release that crashes
 * at start and is rolled back by itself; taps queued across both are delivered once.
 */
describe('over-the-air updates', () => {
  const dir = tempDir('over-the-air');
  const opt = join(dir.path, 'opt');
  let harness: SyncServerHarness;
  /** The operator's side, on plain HTTP here; terminals download over HTTPS (`https`). */
  let http: HttpListener;
  let https: HttpListener;
  let operator: string;
  let releaseKey: string;
  let good: string;
  let broken: string;
  const setup = {} as UpdatesSetup;

  const api = async (method: string, path: string, body?: unknown, query = ''): Promise<Response> =>
    fetch(`${http.url}${path}${query}`, {
      method,
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const publish = async (tarball: string): Promise<{ version: string }> => {
    const signed = signRelease(tarball, releaseKey);
    const response = await fetch(
      `${http.url}/api/v1/fleet/releases/${signed.version}?sha256=${signed.sha256}&signature=${encodeURIComponent(signed.signature)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/gzip' },
        body: readFileSync(tarball),
      },
    );
    expect(response.status, await response.clone().text()).toBe(201);
    return signed;
  };
  const rollout = async (version: string) =>
    (await (await api('GET', `/api/v1/fleet/rollouts/${version}`)).json()) as {
      counts: Record<string, number>;
      terminals: { terminalId: string; state: string; firmware: string | null; detail: string }[];
    };
  const storedTaps = (): number =>
    (
      harness.store.db.sql('SELECT count(*) AS n FROM taps WHERE terminal_id = ?').get(harness.terminalId) as {
        n: number;
      }
    ).n;

  beforeAll(async () => {
    buildOnce();
    const out = join(dir.path, 'releases');
    const first = buildRelease(out, '0.9.0');
    good = buildRelease(out, '0.9.1');
    broken = breakRelease(buildRelease(out, '0.9.2'), join(dir.path, 'broken'));
    const launch = join(installRelease(opt, first, '0.9.0'), '..', 'launch');

    const { privateFile, publicFile } = makeReleaseKey(join(dir.path, 'operator'));
    releaseKey = privateFile;
    const publicKeyPem = readFileSync(publicFile, 'utf8');
    Object.assign(setup, {
      publicKey: createPublicKey(publicKeyPem),
      publicKeyPem,
      dir: join(dir.path, 'server-releases'),
    });
    harness = await startSyncServer(join(dir.path, 'server'), { updates: setup });
    const ca = makeTestCa(dir.path);
    https = await listenHttp(harness.server.app, { host: '127.0.0.1', port: 0, tls: { cert: ca.cert, key: ca.key } });
    http = await listenHttp(harness.server.app, { host: '127.0.0.1', port: 0 });
    setup.publicUrl = https.url;
    operator = harness.store.directory.createApiToken(null, 'operator', 'fleet');

    const { url, terminalId, password } = harness.terminalConnection();
    const terminalDir = join(dir.path, 'terminal');
    mkdirSync(terminalDir, { recursive: true });
    writeFileSync(join(terminalDir, 'ca.crt'), ca.ca);
    writeFileSync(join(terminalDir, 'release-key.pem'), publicKeyPem);
    const config = writeTerminalConfig(terminalDir, {
      terminalId,
      url,
      password,
      extra: {
        broker: { url, passwordFile: join(terminalDir, 'terminal.password'), ackTimeoutSeconds: 2, caFile: 'ca.crt' },
        updates: { releaseKeyFile: 'release-key.pem', quietSeconds: 1, confirmSeconds: 30 },
        log: { level: 'debug' },
      },
    });
    terminal = new Supervised(launch, config);
    terminal.start();
    await waitFor('release 0.9.0 to start', () => terminal.started('0.9.0').length > 0, 30_000);
  }, 300_000);

  afterAll(async () => {
    await terminal?.stop();
    await http?.close();
    await https?.close();
    await harness?.close();
    dir.remove();
  });

  it('installs a signed release beside the running one, restarts into it in a quiet moment, and delivers taps queued across it', async () => {
    const first = String(harness.workers[0]?.card.id);
    const second = String(harness.workers[1]?.card.id);
    terminal.tap([first]);
    await waitFor('the first tap to be stored', () => storedTaps() === 1, 20_000);

    const { version } = await publish(good);
    const offered = (await (
      await api('POST', '/api/v1/fleet/rollouts', { version, terminals: [harness.terminalId] })
    ).json()) as {
      offered: string[];
    };
    expect(offered.offered).toEqual([harness.terminalId]);
    await waitFor('the download to start', () => terminal.lines.some((l) => l.msg === 'downloading a release'), 20_000);
    // The broker goes away: these taps wait in the old release's store and the new one sends them.
    await harness.stopBroker();
    terminal.tap([second, first]);
    await waitFor('release 0.9.1 to start', () => terminal.started('0.9.1').length > 0, 60_000);
    await harness.startBroker();
    await waitFor('the update to be confirmed', () => terminal.lines.some((l) => l.msg === 'update confirmed'), 30_000);
    await waitFor('the queued taps to be stored', () => storedTaps() === 3, 30_000);

    expect(readlinkSync(join(opt, 'releases', 'current'))).toBe('versions/0.9.1');
    const progress = await rollout(version);
    await waitForAsync(
      'the rollout to show the update done',
      async () => (await rollout(version)).counts.done === 1,
      20_000,
    );
    expect(progress.terminals[0]?.terminalId).toBe(harness.terminalId);
    const update = JSON.parse(readFileSync(join(opt, 'releases', 'update.json'), 'utf8')) as { state: string };
    expect(update.state).toBe('confirmed');
  }, 180_000);

  it('goes back by itself from a release that crashes at start, and says so', async () => {
    const { version } = await publish(broken);
    await api('POST', '/api/v1/fleet/rollouts', { version, share: 100 });
    await waitFor(
      'release 0.9.2 to be downloaded',
      () => terminal.lines.some((l) => l.msg === 'downloading a release' && l.version === '0.9.2'),
      60_000,
    );
    // A tap while it installs: it waits in the store, the restart waits for a quiet moment after it.
    await harness.stopBroker();
    const before = terminal.lines.length;
    terminal.tap([harness.workers[0]?.card.id as string]);
    await waitFor(
      'the tap to be taken',
      () => terminal.lines.slice(before).some((l) => l.msg === 'tap recorded'),
      10_000,
    );
    await waitFor(
      'the launcher to go back',
      () => terminal.said.some((text) => text.includes('back to 0.9.1')),
      90_000,
    );
    await waitFor('release 0.9.1 to start again', () => terminal.started('0.9.1').length >= 2, 30_000);
    await harness.startBroker();
    await waitFor('the tap queued during the failed update to be stored', () => storedTaps() === 4, 30_000);

    expect(readlinkSync(join(opt, 'releases', 'current'))).toBe('versions/0.9.1');
    expect(terminal.said.some((text) => text.includes('this release is broken'))).toBe(true);
    await waitForAsync(
      'the rollout to show the rollback',
      async () => (await rollout(version)).counts.rolled_back === 1,
      20_000,
    );
    const { terminals } = await rollout(version);
    expect(terminals[0]?.detail).toMatch(/failed to start 3 times: back to 0.9.1/);
    // Not tried again: the offer stays, the terminal keeps the release it came back to.
    expect(terminal.started('0.9.2')).toEqual([]);
  }, 180_000);
});

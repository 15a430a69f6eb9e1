import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { MIGRATIONS, TerminalStore } from '@ccus-gate/firmware';
import { parseCardRef, workingDay } from '@ccus-gate/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, CLI, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';

/** Runs the CLI; `answer` types a line once the output asks for it, as a technician would. */
function cli(
  args: string[],
  answer?: { when: RegExp; line: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let answered = answer === undefined;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!answered && answer?.when.test(stdout)) {
        answered = true;
        child.stdin.end(`${answer.line}\n`);
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code) => done({ code, stdout, stderr }));
    if (answer === undefined) child.stdin.end();
  });
}

describe('ccus-gate-terminal', () => {
  const dir = tempDir('cli');
  let broker: Server;
  let port: number;
  let config: string;

  beforeAll(async () => {
    buildOnce();
    // Something listening where the broker should be: doctor checks reachability only.
    broker = createServer((socket) => socket.end());
    await new Promise<void>((ready) => broker.listen(0, '127.0.0.1', ready));
    port = (broker.address() as { port: number }).port;
    config = writeTerminalConfig(dir.path, { terminalId: 'gate-01', url: `mqtt://127.0.0.1:${port}`, password: 'pw' });
    const store = TerminalStore.open(join(dir.path, 'store', 'terminal.db'));
    for (let i = 0; i < 3; i++) {
      store.commitTap({
        card: parseCardRef('04A2B3C4'),
        workerId: null,
        direction: 'in',
        at: new Date(Date.now() - (3 - i) * 7200_000),
        workingDay: '2026-11-24',
        bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
        mono: 1000 * i,
        clockSynced: true,
        flags: ['unknown_card'],
      });
    }
    store.settle({ from: 1, to: 1 }, [{ seq: 1, reason: 'invalid_tap', message: 'from the future' }], new Date());
    store.close();
  });

  afterAll(async () => {
    await new Promise((done) => broker.close(done));
    dir.remove();
  });

  it('status shows the queue, the oldest tap waiting and the rejections, as text or JSON', async () => {
    const text = await cli(['status', '--config', config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/waiting to send 2 \(oldest 4 h ago\)/);
    expect(text.stdout).toMatch(/rejected #1 \(mifare 04A2B3C4\): invalid_tap: from the future/);
    // The machine as well, read off this one: on a machine that is not a Pi, said so.
    expect(text.stdout).toMatch(/^disk free +\d+ MiB$/m);
    expect(text.stdout).toMatch(/^power +(ok|no firmware flags \(not a Raspberry Pi\)|.*under-voltage.*)$/im);
    expect(text.stdout).toMatch(/^offline room +(\d+ days of taps at [\d.]+ a day|unknown until taps come)$/m);
    const json = await cli(['status', '--config', config, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      terminalId: 'gate-01',
      store: { counts: { pending: 2, delivered: 0, rejected: 1 }, highestSeq: 3, schemaVersion: MIGRATIONS.length },
      health: { storeBytes: expect.any(Number), memoryRssBytes: expect.any(Number) },
    });
  });

  it('support-dump writes versions, config without secrets, status, doctor and logs to one file', async () => {
    mkdirSync(join(dir.path, 'dump'), { recursive: true });
    const secretConfig = writeTerminalConfig(join(dir.path, 'dump'), {
      terminalId: 'gate-01',
      url: `mqtt://127.0.0.1:${port}`,
      password: 'cgt_very-secret-password-for-the-dump-test',
    });
    const out = join(dir.path, 'dump.json');
    const result = await cli(['support-dump', '--config', secretConfig, '--out', out]);
    expect(result.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('very-secret-password');
    const dump = JSON.parse(text) as Record<string, unknown>;
    expect(dump).toMatchObject({
      kind: 'ccus-gate-support-dump',
      versions: { firmware: expect.any(String), node: process.version },
      config: { terminalId: 'gate-01', broker: { passwordFile: expect.stringContaining('terminal.password') } },
      doctor: expect.arrayContaining([expect.objectContaining({ name: 'broker', result: 'ok' })]),
    });
    expect(dump.logs).toEqual(
      expect.objectContaining(
        'lines' in (dump.logs as object) ? { lines: expect.any(Array) } : { unavailable: expect.any(String) },
      ),
    );
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('doctor passes with the broker there, fails naming it when it is not, and says what to do', async () => {
    const good = await cli(['doctor', '--config', config, '--json']);
    const checks = JSON.parse(good.stdout) as { name: string; result: string; fix?: string }[];
    expect(checks.find((c) => c.name === 'broker')).toMatchObject({ result: 'ok' });
    expect(checks.find((c) => c.name === 'store')).toMatchObject({ result: 'ok' });
    expect(checks.find((c) => c.name === 'rejected')).toMatchObject({ result: 'warn', fix: expect.any(String) });
    expect(good.code).toBe(checks.some((c) => c.result === 'fail') ? 1 : 0);

    const elsewhere = writeTerminalConfig(join(dir.path), {
      terminalId: 'gate-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'pw',
    });
    const bad = await cli(['doctor', '--config', elsewhere]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/fail\s+broker\s+127\.0\.0\.1:1: ECONNREFUSED\n\s+→ check the network/);
  });

  it('selftest lights each output in turn, leaves the relay alone unless asked, and shows the card read', async () => {
    const run = await cli(['selftest', '--config', config, '--wait', '5'], {
      when: /present a card/,
      line: '012E4CD3A1B2C3D4',
    });
    expect(run.code).toBe(0);
    const switched = run.stdout.split('\n').filter((line) => /^\s+(green|red|buzzer|relay)\s+(on|off)$/.test(line));
    expect(switched.map((line) => line.trim().replace(/\s+/g, ' '))).toEqual([
      'green on',
      'green off',
      'red on',
      'red off',
      'buzzer on',
      'buzzer off',
    ]);
    expect(run.stdout).toMatch(/felica 012E4CD3A1B2C3D4 on sim/);
    expect(run.stdout).toMatch(/selftest passed/);

    const relay = await cli(['selftest', '--config', config, '--wait', '1', '--relay']);
    expect(relay.stdout).toMatch(/relay\s+on\n\s+relay\s+off/);
    expect(relay.stdout).toMatch(/no card seen/);
    expect(relay.code).toBe(1);
  });

  it('selftest takes junk without crashing and a card typed at any moment, even before it asks', async () => {
    // Typed at once, before the lights have finished: a mistyped line, then the card.
    const early = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [CLI, 'selftest', '--config', config, '--wait', '5'], { stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.on('exit', (code) => done({ code, stdout, stderr }));
      child.stdin.write('not-a-card\n');
      child.stdin.end('04A2B3C4\n');
    });
    expect(early.stderr).not.toMatch(/Unhandled|Error:/);
    expect(early.stdout).toMatch(/"not-a-card" is not a card identifier/);
    expect(early.stdout).toMatch(/mifare 04A2B3C4 on sim/);
    expect(early.stdout).toMatch(/selftest passed/);
    expect(early.code).toBe(0);

    // Junk only: it says so and fails for want of a card, without crashing.
    const junk = await cli(['selftest', '--config', config, '--wait', '1'], { when: /present a card/, line: 'zz' });
    expect(junk.stdout).toMatch(/"zz" is not a card identifier/);
    expect(junk.stdout).toMatch(/no card seen/);
    expect(junk.stderr).not.toMatch(/Unhandled|Error:/);
    expect(junk.code).toBe(1);
  });

  it('run moves a corrupt store aside, keeps serving taps above the old numbers, and doctor points at it', async () => {
    const own = tempDir('cli-corrupt');
    try {
      const ownConfig = writeTerminalConfig(own.path, {
        terminalId: 'gate-01',
        url: 'mqtt://127.0.0.1:1',
        password: 'pw',
      });
      const storePath = join(own.path, 'store', 'terminal.db');
      const first = new TerminalProcess('run', ownConfig);
      await first.waitForLine('start', (l) => l.msg === 'terminal started');
      first.tap(['04A2B3C4']);
      await first.waitForLine('the tap', (l) => l.event === 'tap');
      await first.kill('SIGTERM');
      writeFileSync(storePath, Buffer.alloc(4096, 0x5a));

      const second = new TerminalProcess('run', ownConfig);
      const moved = await second.waitForLine('the store moved aside', (l) => typeof l.movedAside === 'string');
      expect(moved.msg).toMatch(/the store was corrupt and was moved to .*terminal\.db\.broken-/);
      await second.waitForLine('start', (l) => l.msg === 'terminal started');
      second.tap(['04A2B3C4']);
      const tap = await second.waitForLine('the tap', (l) => l.event === 'tap');
      expect(tap.seq).toBeGreaterThan(1);
      await second.kill('SIGTERM');

      const doctor = await cli(['doctor', '--config', ownConfig, '--json']);
      const checks = JSON.parse(doctor.stdout) as { name: string; result: string }[];
      expect(checks.find((c) => c.name === 'broken')).toMatchObject({ result: 'warn' });
    } finally {
      own.remove();
    }
  });

  it("run records a tap on the site's working day, whatever time zone the machine is in", async () => {
    const own = tempDir('cli-zone');
    try {
      // 25 hours apart: the site's date is always a day or two ahead of the machine's.
      const rule = { timeZone: 'Pacific/Kiritimati', dayBoundary: '00:00' };
      const ownConfig = writeTerminalConfig(own.path, {
        terminalId: 'gate-01',
        url: 'mqtt://127.0.0.1:1',
        password: 'pw',
        extra: { pipeline: { debounceSeconds: 0, ...rule } },
      });
      const terminal = new TerminalProcess('run', ownConfig, CLI, { TZ: 'Pacific/Pago_Pago' });
      await terminal.waitForLine('start', (l) => l.msg === 'terminal started');
      terminal.tap(['04A2B3C4']);
      const line = await terminal.waitForLine('the tap', (l) => l.event === 'tap');
      await terminal.kill('SIGTERM');

      const store = TerminalStore.open(join(own.path, 'store', 'terminal.db'));
      const tap = store.tap(line.seq as number);
      store.close();
      const at = new Date(tap?.at as string);
      expect(tap?.workingDay).toBe(workingDay(at, rule));
      expect(tap?.workingDay).not.toBe(workingDay(at, { timeZone: 'Pacific/Pago_Pago', dayBoundary: '00:00' }));
    } finally {
      own.remove();
    }
  });

  it('refuses a bad config with every problem named, and an unknown command with the usage', async () => {
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ terminalId: 'Gate 01', broker: { url: 'mqtt://x:1', passwordFile: 'pw' } }));
    const result = await cli(['run', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.json: one option is not accepted:\n {2}- terminalId: "Gate 01"; /);
    const unknown = await cli(['serve']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "serve"[\s\S]*usage: ccus-gate-terminal/);
  });
});

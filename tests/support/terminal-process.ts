import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled `ccus-gate-terminal`. */
export const CLI = join(ROOT, 'firmware/dist/cli/main.js');
/** The compiled `ccus-gate-server`. */
export const SERVER_CLI = join(ROOT, 'server/dist/cli/main.js');

/** The environment the systemd unit gives the terminal (its Environment= lines), as systemd sets it. */
export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(ROOT, 'firmware/deploy/ccus-gate-terminal.service'), 'utf8');
  return Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/**
 * The Node flags a program's systemd unit runs it with, so tests and benchmarks run the same:
 * the terminal's are in its environment (CCUS_GATE_NODE_ARGS, sized for a Raspberry Pi), the
 * server's on its ExecStart line, between node and the program.
 */
export function productionNodeArgs(cli = CLI): string[] {
  if (cli !== SERVER_CLI) return (unitEnvironment().CCUS_GATE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const unit = readFileSync(join(ROOT, 'server/deploy/systemd/ccus-gate-server.service'), 'utf8');
  const exec = /^ExecStart=\S*node((?: --?\S+)*) \S+\/cli\/main\.js /m.exec(unit);
  if (exec === null) throw new Error('ccus-gate-server.service: no ExecStart running node on the server CLI');
  return (exec[1] ?? '').split(' ').filter((a) => a !== '');
}

/** Compiles the packages (incrementally) so the child runs what the tests see. */
export function buildOnce(): void {
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-b'], { cwd: ROOT, stdio: 'inherit' });
}

/** Writes a terminal config file (and its password file) into `dir`; returns the config path. */
export function writeTerminalConfig(
  dir: string,
  options: { terminalId: string; url: string; password: string; extra?: Record<string, unknown> },
): string {
  const passwordFile = join(dir, 'terminal.password');
  writeFileSync(passwordFile, `${options.password}\n`);
  chmodSync(passwordFile, 0o600);
  const syncMarker = join(dir, 'synchronized');
  writeFileSync(syncMarker, '');
  const config = {
    terminalId: options.terminalId,
    broker: { url: options.url, passwordFile, ackTimeoutSeconds: 2 },
    store: { path: join(dir, 'store', 'terminal.db') },
    pipeline: { debounceSeconds: 0 },
    clock: { syncMarker },
    hardware: { profile: 'simulated', cards: 'stdin' },
    log: { level: 'info' },
    ...options.extra,
  };
  const path = join(dir, 'terminal.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** `ccus-gate-terminal <command>` as a child process, its JSON log lines collected as they come. */
export class TerminalProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  /** `cli` is the terminal's unless given (the server's runs the same way); `env` adds to this process's. */
  constructor(command: string, configPath: string, cli = CLI, env: Record<string, string> = {}) {
    // CCUS_GATE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to look inside a benchmark's terminal.
    const nodeArgs = [
      ...productionNodeArgs(cli),
      ...(process.env.CCUS_GATE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
    ];
    this.child = spawn(process.execPath, [...nodeArgs, cli, command, '--config', configPath], {
      stdio: 'pipe',
      env: { ...process.env, ...env },
    });
    // Taps written just as the process is killed hit a closed pipe; that is the point of those tests.
    this.child.stdin.on('error', () => {});
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 30, msg: text };
      }
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    createInterface({ input: this.child.stderr }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first log line (seen from line `from` on, or to come) that matches. */
  waitForLine(what: string, match: (line: LogLine) => boolean, timeoutMs = 15_000, from = 0): Promise<LogLine> {
    const seen = this.lines.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr.join('\n')}`)),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Card ids, one per line, as a reader would see them. */
  tap(cards: readonly string[]): void {
    this.child.stdin.write(`${cards.join('\n')}\n`);
  }

  /** Taps that got positive feedback: logged only after their commit. */
  recordedTaps(): { seq: number; card: { tech: string; id: string } }[] {
    return this.lines
      .filter((l) => l.event === 'tap' && typeof l.seq === 'number')
      .map((l) => ({ seq: l.seq as number, card: l.card as { tech: string; id: string } }));
  }

  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}

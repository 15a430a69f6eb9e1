import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackage } from './system-package.js';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres: trust auth, on loopback only. */
  url: string;
  /** A URL for another database of the cluster, made empty. */
  database(name: string): string;
  /** Stops the server, keeping its data (a database going away). */
  halt(): void;
  /** Starts it again on the same port, after `halt`. */
  resume(): void;
  stop(): void;
}

/** The folder of Debian's PostgreSQL programs (initdb, pg_ctl), newest version first. */
function binaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
  return found ?? null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A PostgreSQL cluster of the test's own: initdb into a temporary folder and pg_ctl on a free
 * port, never the machine's shared instance. Without fsync unless `durable` (benchmarks). Debian's `postgresql` is installed when missing.
 * PostgreSQL will not run as root, so as root it runs as the `postgres` user.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  ensurePackage('postgresql', () => binaries() !== null, 'PostgreSQL (initdb, pg_ctl) is not installed');
  const bin = binaries() as string;
  const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]): string => {
    const command = asRoot ? 'runuser' : join(bin, program);
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
    return execFileSync(command, full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  // Tests do not need their writes to survive a power cut; a benchmark measures them as production would.
  const speed = options.durable ? '' : ' -c fsync=off -c full_page_writes=off';
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${speed}`;
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', 'start']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    database(name: string): string {
      const psql = join(bin, 'psql');
      const sql = `DROP DATABASE IF EXISTS "${name}"; CREATE DATABASE "${name}";`;
      for (const statement of sql.split('; ')) {
        execFileSync(psql, ['-q', '-v', 'ON_ERROR_STOP=1', url, '-c', statement.replace(/;$/, '')], { stdio: 'pipe' });
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    halt(): void {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume: start,
    stop(): void {
      try {
        // Halted already by the test, it has nothing to stop.
        if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

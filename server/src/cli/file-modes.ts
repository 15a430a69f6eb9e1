import { chmodSync, existsSync, statSync } from 'node:fs';

/**
 * What the server creates is its own alone: the database (names, card IDs, work history),
 * its WAL, the CCUS upload files and anything else. Set once at start, before any file is
 * opened; files that must be shared (Mosquitto's) are given their mode explicitly.
 */
export function ownerOnlyFromNowOn(): void {
  process.umask(0o077);
}

/** A database an older version created readable by others (0644) is made owner-only, with its WAL and index. */
export function tightenDatabase(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpdateState } from '@ccus-gate/protocol';

/**
 * Where releases live on a terminal (install.sh makes it; the service user owns it):
 *
 *   /opt/ccus-gate/releases/versions/<version>/   one folder per release, node_modules inside
 *   /opt/ccus-gate/releases/current -> versions/<version>   what /opt/ccus-gate/launch starts
 *   /opt/ccus-gate/releases/update.json           the last update: where it is, or how it ended
 *   /opt/ccus-gate/releases/incoming/              downloads, until checked
 */
export interface ReleaseLayout {
  root: string;
  versions: string;
  current: string;
  state: string;
  incoming: string;
}

export function releaseLayout(root: string): ReleaseLayout {
  return {
    root,
    versions: join(root, 'versions'),
    current: join(root, 'current'),
    state: join(root, 'update.json'),
    incoming: join(root, 'incoming'),
  };
}

/**
 * The releases folder this code runs from: `<root>/versions/<version>/node_modules/...`.
 * Null when it runs from elsewhere (a checkout, an install before updates): it cannot update itself.
 */
export function runningFromReleases(moduleUrl: string = import.meta.url): string | null {
  const parts = fileURLToPath(moduleUrl).split(sep);
  const at = parts.lastIndexOf('versions');
  if (at < 1 || parts[at + 2] !== 'node_modules') return null;
  return parts.slice(0, at).join(sep) || sep;
}

/**
 * A path inside the running release as it stays true across updates: through `current`,
 * not the version's own folder, which a later update removes. Other paths are returned as they are.
 */
export function throughCurrent(path: string, root: string | null = runningFromReleases()): string {
  if (root === null) return path;
  const versions = `${join(root, 'versions')}${sep}`;
  if (!path.startsWith(versions)) return path;
  const rest = path.slice(versions.length).split(sep).slice(1);
  return join(root, 'current', ...rest);
}

/**
 * The last update as update.json keeps it. `pending`: switched to `to` and restarting;
 * /opt/ccus-gate/launch goes back to `from` when `to` has not confirmed itself by `deadline`.
 */
export interface UpdateRecord {
  state: UpdateState | 'pending';
  version: string;
  from: string;
  detail: string;
  at: string;
  /** For `pending`: by when the new version must have confirmed itself. */
  deadline?: string;
  /** For `pending`: how many times the launcher has started it. */
  attempts?: number;
  /**
   * For `failed` by something that may pass, or `rolled_back` for not coming online in time
   * (a network down, not a broken release): when the same release is tried again.
   */
  retryAt?: string;
}

export function readUpdateRecord(layout: ReleaseLayout): UpdateRecord | null {
  try {
    return JSON.parse(readFileSync(layout.state, 'utf8')) as UpdateRecord;
  } catch {
    return null;
  }
}

/** Written whole or not at all: a power cut leaves the old record or the new one. */
export function writeUpdateRecord(layout: ReleaseLayout, record: UpdateRecord): void {
  mkdirSync(layout.root, { recursive: true });
  const temporary = `${layout.state}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  renameSync(temporary, layout.state);
}

/** The version `current` points at, or null before the first install. */
export function currentVersion(layout: ReleaseLayout): string | null {
  try {
    return basename(readlinkSync(layout.current));
  } catch {
    return null;
  }
}

/** Points `current` at a version in one rename, so a restart at any moment finds one or the other. */
export function switchCurrent(layout: ReleaseLayout, version: string): void {
  const target = join(layout.versions, version);
  if (!existsSync(target)) throw new Error(`no release ${version} in ${layout.versions}`);
  const temporary = `${layout.current}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  symlinkSync(join('versions', version), temporary);
  renameSync(temporary, layout.current);
}

/**
 * Removes every release but those kept (the running one and the one it could go back to), and
 * what an interrupted install left: an SD card holds only so many. Returns what it removed.
 */
export function pruneVersions(layout: ReleaseLayout, keep: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of existsSync(layout.versions) ? readdirSync(layout.versions) : []) {
    if (keep.includes(name)) continue;
    rmSync(join(layout.versions, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** A release folder of this layout, refusing a version that would name anything outside it. */
export function versionFolder(layout: ReleaseLayout, version: string): string {
  const folder = resolve(layout.versions, version);
  if (dirname(folder) !== resolve(layout.versions)) throw new Error(`not a release version: ${version}`);
  return folder;
}

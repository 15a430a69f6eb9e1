import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UpdateError } from './release-download.js';
import { type ReleaseLayout, versionFolder } from './release-layout.js';

const run = promisify(execFile);

/** What `npm run release` writes into a release: its version and the store schema it reads up to. */
export interface ReleaseInfo {
  version: string;
  storeSchema: number;
}

export function readReleaseInfo(folder: string): ReleaseInfo | null {
  try {
    return JSON.parse(readFileSync(join(folder, 'release.json'), 'utf8')) as ReleaseInfo;
  } catch {
    return null;
  }
}

/** The third-party packages a release's lock pins: our own packages ship inside it. */
function thirdParty(folder: string): string {
  const lock = JSON.parse(readFileSync(join(folder, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; resolved?: string }>;
  };
  return JSON.stringify(
    Object.entries(lock.packages)
      .filter(([path]) => path !== '' && !path.startsWith('node_modules/@ccus-gate/'))
      .map(([path, entry]) => [path, entry.version ?? entry.resolved ?? ''])
      .sort(),
  );
}

/**
 * Installs a checked tarball beside the running release: unpacked into versions/<version>,
 * with the running release's modules (hard links: no copy, and the native modules already
 * built for this Pi) and the new release's own packages over them. A release that pins other
 * third-party packages gets `npm ci`, which needs the registry.
 */
export async function installRelease(
  layout: ReleaseLayout,
  version: string,
  tarball: string,
  running: string | null,
): Promise<ReleaseInfo> {
  const folder = versionFolder(layout, version);
  const partial = `${folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    await run('tar', ['-xzf', tarball, '-C', partial, '--strip-components=1', '--no-same-owner']);
    const info = readReleaseInfo(partial);
    if (info === null) {
      throw new UpdateError('the tarball has no release.json: it is not a terminal release', { final: true });
    }
    if (info.version !== version) {
      throw new UpdateError(`the tarball is release ${info.version}, not ${version}`, { final: true });
    }
    const from = running === null ? null : versionFolder(layout, running);
    if (from !== null && existsSync(join(from, 'node_modules')) && thirdParty(from) === thirdParty(partial)) {
      await run('cp', ['-al', join(from, 'node_modules'), join(partial, 'node_modules')]);
      for (const tgz of readdirSync(join(partial, 'packages')).filter((name) => name.endsWith('.tgz'))) {
        const unpacked = join(partial, 'packages', `${tgz}.d`);
        mkdirSync(unpacked, { recursive: true });
        await run('tar', ['-xzf', join(partial, 'packages', tgz), '-C', unpacked, '--no-same-owner']);
        const { name } = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8')) as {
          name: string;
        };
        const target = join(partial, 'node_modules', ...name.split('/'));
        rmSync(target, { recursive: true, force: true });
        renameSync(join(unpacked, 'package'), target);
        rmSync(unpacked, { recursive: true, force: true });
      }
    } else {
      await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: partial }).catch((error: Error) => {
        throw new UpdateError(
          `release ${version} needs other packages than the running one, and npm could not install them: ${error.message.split('\n')[0]}`,
        );
      });
    }
    rmSync(folder, { recursive: true, force: true });
    renameSync(partial, folder);
    return info;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error instanceof UpdateError ? error : new UpdateError(`install failed: ${(error as Error).message}`);
  }
}

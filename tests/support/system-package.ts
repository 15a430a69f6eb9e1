import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function which(command: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The path of `binary`, installed from Debian package `pkg` when missing (CI runs as
 * root). Fails with what to do when it cannot be had: a suite never skips silently.
 */
export function ensureBinary(binary: string, pkg: string, alsoLookIn: readonly string[] = []): string {
  const find = (): string | null => which(binary) ?? alsoLookIn.find((path) => existsSync(path)) ?? null;
  ensurePackage(pkg, () => find() !== null, `${binary} is not installed`);
  return find() as string;
}

/** Installs Debian package `pkg` unless `present()` says what it brings is here already. */
export function ensurePackage(pkg: string, present: () => boolean, missing = `${pkg} is not installed`): void {
  if (present()) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${missing} and this user cannot install it: run \`sudo apt-get install ${pkg}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  } catch (error) {
    throw new Error(`${missing} and \`apt-get install ${pkg}\` failed: ${(error as Error).message}`);
  }
  if (!present()) throw new Error(`apt-get installed ${pkg} but it is still missing (${missing})`);
}

/** Whether fontconfig knows a font for the language, so screenshots show its text, not boxes. */
export function hasFontFor(lang: string): boolean {
  try {
    return execFileSync('fc-list', [`:lang=${lang}`], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

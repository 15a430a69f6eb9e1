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
  const found = find();
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`${binary} is not installed and this user cannot install it: run \`sudo apt-get install ${pkg}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  } catch (error) {
    throw new Error(`${binary} is not installed and \`apt-get install ${pkg}\` failed: ${(error as Error).message}`);
  }
  const installed = find();
  if (installed === null) throw new Error(`apt-get installed ${pkg} but ${binary} is not on the PATH`);
  return installed;
}

// Run by /opt/ccus-gate/launch before each start of the terminal: the rollback half of
// over-the-air updates (firmware/src/update/). It is installed once by install.sh and is
// not part of any one release, so a release that cannot start cannot break it.
//
//   node launch-check.mjs <releases folder> [the terminal's arguments, with --config <file>]
//
// releases/update.json in state "pending" means: `current` was switched to `version` and it
// has not yet confirmed itself (it does once online). Each start counts an attempt. Past its
// deadline or after too many attempts, `current` goes back to `from`, unless the new release
// migrated the store past what `from` reads: then it stays, and says so.
import { readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const MAX_ATTEMPTS = 3;
/** A release rolled back for not coming online (the site's network may have been down) is tried again after this. */
const RETRY_AFTER_MS = 6 * 3_600_000;
const [releases, ...args] = process.argv.slice(2);
const statePath = join(releases, 'update.json');

const say = (text) => process.stderr.write(`ccus-gate launch: ${text}\n`);
const write = (record) => {
  const temporary = `${statePath}.launch.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...record, at: new Date().toISOString() }, null, 2)}\n`);
  renameSync(temporary, statePath);
};

let record;
try {
  record = JSON.parse(readFileSync(statePath, 'utf8'));
} catch {
  process.exit(0); // no update under way
}
if (record.state !== 'pending') process.exit(0);

// Stopped between writing "pending" and switching `current` (a power cut): the new release never
// ran, and the old one runs on. The update is tried again, not counted as the new one failing.
let running = null;
try {
  running = readlinkSync(join(releases, 'current')).split('/').pop();
} catch {
  running = null;
}
if (running !== record.version) {
  const detail = `the restart into ${record.version} was cut short before it; trying again`;
  write({ state: 'failed', version: record.version, from: record.from, detail, retryAt: new Date().toISOString() });
  say(detail);
  process.exit(0);
}

const attempts = (record.attempts ?? 0) + 1;
const expired = Date.now() > Date.parse(record.deadline);
if (!expired && attempts <= MAX_ATTEMPTS) {
  write({ ...record, attempts });
  say(`starting ${record.version} after an update from ${record.from} (attempt ${attempts} of ${MAX_ATTEMPTS})`);
  process.exit(0);
}

const why = expired
  ? `release ${record.version} did not come online by ${record.deadline}`
  : `release ${record.version} failed to start ${attempts - 1} times`;
const from = join(releases, 'versions', record.from);

/** The store's schema version, read with the previous release's own SQLite module; null when there is no store. */
function storeSchema() {
  const at = args.indexOf('--config');
  const configFile = resolve(at >= 0 ? args[at + 1] : '/etc/ccus-gate/terminal.json');
  let path = '/var/lib/ccus-gate/terminal.db';
  try {
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    if (typeof config.store?.path === 'string') path = resolve(dirname(configFile), config.store.path);
  } catch {
    // The terminal itself will say what is wrong with its config.
  }
  const Database = createRequire(join(from, 'package.json'))('better-sqlite3');
  let db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    return db.pragma('user_version', { simple: true });
  } finally {
    db.close();
  }
}

let readsUpTo;
try {
  readsUpTo = JSON.parse(readFileSync(join(from, 'release.json'), 'utf8')).storeSchema;
} catch {
  readsUpTo = null;
}
const schema = storeSchema();
if (readsUpTo === null || (schema !== null && schema > readsUpTo)) {
  const detail =
    readsUpTo === null
      ? `${why}, but ${record.from} is not installed whole (no release.json): staying on ${record.version}`
      : `${why}, but it migrated the store to schema ${schema} and ${record.from} reads only up to ${readsUpTo}: staying on ${record.version}; install a fixed release`;
  write({ ...record, state: 'rollback_refused', detail, attempts });
  say(detail);
  process.exit(0);
}

const link = join(releases, 'current');
const temporary = `${link}.launch.tmp`;
rmSync(temporary, { force: true });
symlinkSync(join('versions', record.from), temporary);
renameSync(temporary, link);
const detail = `${why}: back to ${record.from}`;
write({
  state: 'rolled_back',
  version: record.version,
  from: record.from,
  detail,
  // A crash is the release's; a missed deadline may have been the network's.
  ...(expired ? { retryAt: new Date(Date.now() + RETRY_AFTER_MS).toISOString() } : {}),
});
say(detail);

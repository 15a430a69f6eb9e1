import { workingDay } from '@ccus-gate/protocol';
import { type Kysely, type SqlBool, sql } from 'kysely';
import { prepared } from '../store/engine/prepared.js';
import type { EngineKind, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import type { DB, Taps } from '../store/schema.js';

/** The columns of a stored tap that re-dating reads (RedatedTapRow). */
export const REDATED_COLUMNS = [
  'terminal_id',
  'seq',
  'site_id',
  'worker_id',
  'working_day',
  'record_day',
  'mono',
  'flags',
] as const;

/** A stored tap as re-dating needs it. */
export type RedatedTapRow = Pick<Taps, (typeof REDATED_COLUMNS)[number]>;

/**
 * Rewrites one stored tap's wall time from its monotonic time and the boot's offset (learnt
 * from a synchronised tap of the same boot, or from a person who knows when it was), keeping
 * the time first sent. Returns the record days it left and joined, for the caller to queue.
 */
export function* redateTap(
  engine: StoreEngine,
  row: RedatedTapRow,
  offsetMs: number,
): Work<{ siteId: string; workerId: string | null; days: string[] }> {
  const rule = (yield* firstRow(
    engine.db.selectFrom('sites').select(['time_zone', 'day_boundary']).where('site_id', '=', row.site_id),
  )) as { time_zone: string; day_boundary: string };
  const at = new Date(Number(row.mono) + offsetMs);
  const day = workingDay(at, { timeZone: rule.time_zone, dayBoundary: rule.day_boundary });
  const flags = (JSON.parse(row.flags) as string[]).filter((flag) => flag !== 'implausible_time');
  if (!flags.includes('clock_corrected')) flags.push('clock_corrected');
  yield* execute(
    engine.db
      .updateTable('taps')
      .set((eb) => ({
        raw_at: eb.fn.coalesce('raw_at', 'at'),
        at: at.toISOString(),
        at_ms: at.getTime(),
        working_day: day,
        clock_synced: 1,
        flags: JSON.stringify(flags),
      }))
      .where('terminal_id', '=', row.terminal_id)
      .where('seq', '=', row.seq),
  );
  return { siteId: row.site_id, workerId: row.worker_id, days: [row.record_day ?? row.working_day, day] };
}

/** A stored tap not yet trusted, and the boot it was taken in. */
export type UntrustedTap = RedatedTapRow & { boot_id: string };

/**
 * The terminal's taps of the given boots whose times cannot be trusted (never synchronised,
 * or impossible): `boots` is one value, a JSON array on SQLite and a text array on PostgreSQL,
 * so the statement is the same for any number. Asked for in every batch, alone on SQLite and
 * inside the tap INSERT on PostgreSQL (store/tap-insert.ts). The 0 is written into the SQL,
 * not bound: a bound value that decides whether a partial index (here `taps_unsynced`) applies
 * makes SQLite compile the statement again at every run, five times what running it costs.
 */
export const untrustedOf = (db: Kysely<DB>, kind: EngineKind, terminalId: string, boots: unknown) =>
  db
    .selectFrom('taps')
    .select([...REDATED_COLUMNS, 'boot_id'])
    .where('terminal_id', '=', terminalId)
    .where(
      kind === 'sqlite'
        ? sql<SqlBool>`boot_id IN (SELECT value FROM json_each(${boots}))`
        : sql<SqlBool>`boot_id = ANY(${boots}::text[])`,
    )
    .where('clock_synced', '=', sql.lit(0));

const UNTRUSTED = prepared((db, p: { terminalId: string; boots: unknown }, kind) =>
  untrustedOf(db, kind, p.terminalId, p.boots),
);

/** The terminal's taps of these boots whose times cannot be trusted. */
export function* untrustedTaps(
  engine: StoreEngine,
  terminalId: string,
  boots: readonly string[],
): Work<UntrustedTap[]> {
  if (boots.length === 0) return [];
  const given = engine.kind === 'sqlite' ? JSON.stringify(boots) : boots;
  return yield* rows(UNTRUSTED(engine, { terminalId, boots: given }));
}

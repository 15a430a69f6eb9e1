import { createHash } from 'node:crypto';
import { type WorkerId, WorkerIdSchema } from '@ccus-gate/protocol';
import type { RosterEntry } from '../store/site-rosters.js';
import { POSITIONS, type Position, type SiteAccess, type Worker } from '../store/worker-books.js';
import type { CcusSiteWorker } from './site-registry.js';

/** One worker's place as it will be after the import. */
export interface ImportedPlace {
  workerId: string;
  name: string;
  employerCompanyId: string;
  trades: string[];
  trade: string | null;
  position: Position | null;
  workContent: string | null;
  /** What happens on the importer's books: a new worker, a changed one, or nothing. */
  books: 'create' | 'update' | 'keep';
}

export interface RosterImportPlan {
  /** On CCUS's roster, not on ours: added. */
  add: ImportedPlace[];
  /** On both, with a different place or worker details: changed to CCUS's. */
  change: (ImportedPlace & { before: Pick<ImportedPlace, 'name' | 'trades' | 'trade' | 'position' | 'workContent'> })[];
  unchanged: number;
  /** On CCUS's roster, but not for this importer to place, each with why. */
  skipped: { workerId: string; name: string; reason: string }[];
  /** On our roster, not on CCUS's: left as they are; registering them sends them to CCUS. */
  onlyHere: { workerId: string; name: string }[];
  /** Names this plan: an import applies only the plan that was shown. */
  digest: string;
}

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, i) => value === b[i]);

/**
 * What importing CCUS's roster of a site (施工体制技能者情報) would change on ours, before anything
 * changes. A subcontractor places only its own employees; workers on another tenant's books keep
 * their details there; nobody is removed (a worker missing from CCUS's roster is listed, since
 * the fix is usually to register them, not to drop their taps).
 */
export function planRosterImport(input: {
  ccus: readonly CcusSiteWorker[];
  /** The site's roster as the importer sees it. */
  roster: readonly RosterEntry[];
  /** The importer's own entries for the workers CCUS lists. */
  own: ReadonlyMap<string, Worker>;
  access: SiteAccess;
  companyId: string;
}): RosterImportPlan {
  const plan: Omit<RosterImportPlan, 'digest'> = { add: [], change: [], unchanged: 0, skipped: [], onlyHere: [] };
  const onRoster = new Map(input.roster.map((entry) => [entry.workerId, entry]));
  const listed = new Set<string>();
  for (const worker of input.ccus) {
    const skip = (reason: string) => plan.skipped.push({ workerId: worker.workerId, name: worker.name, reason });
    if (!WorkerIdSchema.safeParse(worker.workerId).success || !/^[0-9]{14}$/.test(worker.workerId)) {
      skip('not a 14-digit CCUS worker ID');
      continue;
    }
    listed.add(worker.workerId);
    if (input.access === 'sub' && worker.employerCompanyId !== input.companyId) {
      skip(`employed by company ${worker.employerCompanyId}, whose own account imports them`);
      continue;
    }
    const position = worker.position === null ? null : POSITIONS.find((p) => p === worker.position);
    if (position === undefined) {
      skip(`position ${worker.position} is not one this system knows`);
      continue;
    }
    const own = input.own.get(worker.workerId);
    const placed = onRoster.get(worker.workerId);
    const books: ImportedPlace['books'] =
      own === undefined
        ? placed === undefined
          ? 'create'
          : 'keep'
        : own.name === worker.name &&
            same(own.trades, worker.trades) &&
            own.employerCompanyId === worker.employerCompanyId
          ? 'keep'
          : 'update';
    const next: ImportedPlace = {
      workerId: worker.workerId,
      name: worker.name,
      employerCompanyId: worker.employerCompanyId,
      trades: worker.trades,
      // A trade CCUS does not state is kept: a record without one does not count toward levels.
      trade: worker.trade ?? (placed?.trade != null && worker.trades.includes(placed.trade) ? placed.trade : null),
      position,
      workContent: worker.workContent,
      books,
    };
    if (placed === undefined) {
      plan.add.push(next);
      continue;
    }
    const placeSame =
      placed.trade === next.trade && placed.position === position && placed.workContent === worker.workContent;
    if (placeSame && books === 'keep') {
      plan.unchanged++;
      continue;
    }
    plan.change.push({
      ...next,
      before: {
        name: own?.name ?? placed.name,
        trades: own?.trades ?? [],
        trade: placed.trade,
        position: placed.position,
        workContent: placed.workContent,
      },
    });
  }
  for (const entry of input.roster) {
    if (!listed.has(entry.workerId)) plan.onlyHere.push({ workerId: entry.workerId, name: entry.name });
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([plan.add, plan.change]))
    .digest('base64url')
    .slice(0, 22);
  return { ...plan, digest };
}

/** The writes that carry out a plan: workers for the importer's books, then the places (periods kept). */
export function rosterImportWrites(plan: RosterImportPlan, roster: readonly RosterEntry[]) {
  const periods = new Map(roster.map((entry) => [entry.workerId, entry]));
  const all = [...plan.add, ...plan.change];
  const worker = (place: ImportedPlace) => ({
    workerId: place.workerId as WorkerId,
    name: place.name,
    trades: place.trades,
    employerCompanyId: place.employerCompanyId,
  });
  return {
    create: all.filter((place) => place.books === 'create').map(worker),
    update: all.filter((place) => place.books === 'update').map(worker),
    places: all.map((place) => ({
      workerId: place.workerId as WorkerId,
      trade: place.trade,
      position: place.position,
      workContent: place.workContent,
      periodFrom: periods.get(place.workerId)?.periodFrom ?? null,
      periodUntil: periods.get(place.workerId)?.periodUntil ?? null,
    })),
  };
}

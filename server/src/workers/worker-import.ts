import { z } from 'zod';
import type { Worker } from '../store/worker-books.js';

/** One row of an import as a contractor's list has it; everything else about a worker stays as it is. */
const ImportRow = z.strictObject({
  workerId: z
    .string()
    .trim()
    .regex(/^[0-9]{14}$/, 'must be the 14-digit CCUS worker ID (技能者ID)'),
  name: z.string().trim().min(1, 'is empty').max(100),
  trades: z
    .array(z.string().trim().min(1).max(100))
    .max(4, 'a worker is registered for at most four trades')
    .default([]),
  employerCompanyId: z
    .string()
    .trim()
    .regex(/^[0-9]{1,14}$/, 'must be a CCUS company ID (事業者ID)')
    .optional(),
});
export type ImportRow = z.output<typeof ImportRow>;

export interface ImportProblem {
  /** 1 for the first worker row (a file's header is not counted). */
  row: number;
  field: string;
  message: string;
}

export interface ImportPlan {
  create: ImportRow[];
  update: (ImportRow & { before: { name: string; trades: string[]; employerCompanyId: string } })[];
  unchanged: number;
  errors: ImportProblem[];
}

/** At most this many rows in one import. */
export const MAX_IMPORT_ROWS = 25_000;

/**
 * What an import would do, row by row, before anything is written: new workers, changed
 * names, trades or employers of the tenant's own workers, rows that change nothing, and
 * each bad row with the field at fault. A worker ID twice in one file is an error on the
 * later row.
 */
export function planWorkerImport(rows: readonly unknown[], existing: ReadonlyMap<string, Worker>): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], unchanged: 0, errors: [] };
  const seen = new Set<string>();
  rows.forEach((raw, index) => {
    const row = index + 1;
    const parsed = ImportRow.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      plan.errors.push({
        row,
        field: issue?.path.map(String).join('.') || 'row',
        message:
          issue?.code === 'unrecognized_keys'
            ? `unknown columns: ${issue.keys.join(', ')}`
            : (issue?.message ?? 'is invalid'),
      });
      return;
    }
    const worker = parsed.data;
    if (seen.has(worker.workerId)) {
      plan.errors.push({ row, field: 'workerId', message: `worker ${worker.workerId} is in the file twice` });
      return;
    }
    seen.add(worker.workerId);
    const before = existing.get(worker.workerId);
    if (before === undefined) {
      plan.create.push(worker);
      return;
    }
    const same =
      before.name === worker.name &&
      JSON.stringify(before.trades) === JSON.stringify(worker.trades) &&
      (worker.employerCompanyId === undefined || before.employerCompanyId === worker.employerCompanyId);
    if (same) plan.unchanged++;
    else {
      plan.update.push({
        ...worker,
        before: { name: before.name, trades: before.trades, employerCompanyId: before.employerCompanyId },
      });
    }
  });
  return plan;
}

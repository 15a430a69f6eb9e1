import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcusError, type CcusGateway, type CcusReceipt, type CcusSubmission } from './gateway.js';

const COLUMNS = [
  'idempotency_key',
  'company_id',
  'site_id',
  'worker_id',
  'working_day',
  'entry_at',
  'exit_at',
  'trade',
  'position',
] as const;

/**
 * For a contractor without API access: each record goes into a monthly CSV file
 * (`ccus-upload-YYYY-MM.csv`, one row per worker, site and day, in the order first seen)
 * for a person to upload to CCUS by hand. A record sent again replaces its row, so the
 * file holds each record once, as last sent. "Accepted" here means written to the file;
 * the receipt names the file and row.
 */
export class FileExportGateway implements CcusGateway {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  fileFor(workingDay: string): string {
    return join(this.#dir, `ccus-upload-${workingDay.slice(0, 7)}.csv`);
  }

  async submit(submission: CcusSubmission): Promise<CcusReceipt> {
    const path = this.fileFor(submission.workingDay);
    const rows = this.#read(path);
    const row = [
      submission.idempotencyKey,
      submission.companyId,
      submission.siteId,
      submission.workerId,
      submission.workingDay,
      submission.entryAt ?? '',
      submission.exitAt ?? '',
      submission.trade ?? '',
      submission.position ?? '',
    ];
    const at = rows.findIndex((existing) => existing[0] === submission.idempotencyKey);
    if (at >= 0) rows[at] = row;
    else rows.push(row);
    const text = [COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\r\n');
    try {
      // Whole file, then rename: a person opening it never sees half a write.
      writeFileSync(`${path}.tmp`, `${text}\r\n`);
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      throw new CcusError('transient', 'export_failed', `could not write ${path}: ${(error as Error).message}`);
    }
    const line = (at >= 0 ? at : rows.length - 1) + 2;
    return { receipt: `file:${path}#${line}`, created: at < 0 };
  }

  #read(path: string): string[][] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    // Every field is an ID, a date or an ISO time: no commas or quotes to unescape.
    return text
      .split('\r\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => line.split(','));
  }
}

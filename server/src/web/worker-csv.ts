import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';

/** Column names a contractor's list may use, in Japanese or English, for each field of an import. */
const COLUMNS: Record<string, 'workerId' | 'name' | 'trades' | 'employerCompanyId'> = {
  技能者id: 'workerId',
  workerid: 'workerId',
  worker_id: 'workerId',
  氏名: 'name',
  name: 'name',
  worker_name: 'name',
  職種: 'trades',
  trades: 'trades',
  trade: 'trades',
  事業者id: 'employerCompanyId',
  所属事業者id: 'employerCompanyId',
  employercompanyid: 'employerCompanyId',
  company_id: 'employerCompanyId',
};

/** Several trades in one cell, as people separate them. */
const TRADE_SEPARATORS = /[、,;；／/・]/;

export interface WorkerCsv {
  rows: Record<string, unknown>[];
  encoding: 'utf-8' | 'windows-31j';
  /** Columns the file has that an import does not use (a birth date, say): left out. */
  ignored: string[];
}

/** Text from a file a spreadsheet saved: UTF-8 (with or without a byte order mark), else Windows-31J. */
function decode(bytes: Uint8Array): { text: string; encoding: WorkerCsv['encoding'] } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes), 'windows-31j'), encoding: 'windows-31j' };
  }
}

/**
 * A worker list from a CSV file (csv-parse), its header naming the columns: 技能者ID or
 * workerId, 氏名 or name, 職種 or trades (several separated by 、 or ;), 事業者ID or
 * employerCompanyId. Each row is checked later, on its own (workers/worker-import.ts).
 */
export function readWorkerCsv(bytes: Uint8Array): WorkerCsv | { error: string } {
  const { text, encoding } = decode(bytes);
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    return { error: `the file is not CSV: ${(error as Error).message}` };
  }
  const [header, ...lines] = records;
  if (header === undefined) return { error: 'the file is empty' };
  const fields = header.map((name) => COLUMNS[name.toLowerCase().replace(/\s/g, '')]);
  if (!fields.includes('workerId') || !fields.includes('name')) {
    return { error: 'the first line must name the columns, at least 技能者ID (workerId) and 氏名 (name)' };
  }
  const rows = lines.map((line) => {
    const row: Record<string, unknown> = {};
    fields.forEach((field, i) => {
      const value = line[i] ?? '';
      if (field === undefined || (field !== 'name' && field !== 'workerId' && value === '')) return;
      row[field] =
        field === 'trades'
          ? value
              .split(TRADE_SEPARATORS)
              .map((t) => t.trim())
              .filter((t) => t !== '')
          : value;
    });
    return row;
  });
  return { rows, encoding, ignored: header.filter((_, i) => fields[i] === undefined) };
}

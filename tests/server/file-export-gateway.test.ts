import { readFileSync } from 'node:fs';
import { FileExportGateway } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

describe('file export gateway (for uploading by hand)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('file-export');
  });
  afterEach(() => dir.remove());

  const record = (day: string, exitAt: string | null) => ({
    idempotencyKey: `11:880012:${day}`,
    companyId: '1',
    siteId: '11',
    workerId: '880012',
    workingDay: day,
    entryAt: `${day}T08:00:00.000+09:00`,
    exitAt,
    trade: 'とび',
    position: null,
  });

  it('writes one row per record per month, and a record sent again replaces its row', async () => {
    const gateway = new FileExportGateway(dir.path);
    const first = await gateway.submit(record('2026-11-20', null));
    expect(first).toEqual({ receipt: `file:${gateway.fileFor('2026-11-20')}#2`, created: true });
    await gateway.submit(record('2026-11-21', null));
    const again = await gateway.submit(record('2026-11-20', '2026-11-20T17:00:00.000+09:00'));
    expect(again).toEqual({ receipt: `file:${gateway.fileFor('2026-11-20')}#2`, created: false });
    await gateway.submit(record('2026-12-01', null));
    expect(readFileSync(gateway.fileFor('2026-11-01'), 'utf8').split('\r\n')).toEqual([
      'idempotency_key,company_id,site_id,worker_id,working_day,entry_at,exit_at,trade,position',
      '11:880012:2026-11-20,1,11,880012,2026-11-20,2026-11-20T08:00:00.000+09:00,2026-11-20T17:00:00.000+09:00,とび,',
      '11:880012:2026-11-21,1,11,880012,2026-11-21,2026-11-21T08:00:00.000+09:00,,とび,',
      '',
    ]);
    expect(readFileSync(gateway.fileFor('2026-12-01'), 'utf8')).toContain('2026-12-01');
  });
});

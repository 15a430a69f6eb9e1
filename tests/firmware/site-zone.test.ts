import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { processZoneCalendarDate } from '@ccus-gate/firmware';
import { intlCalendarDate, workingDay } from '@ccus-gate/protocol';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../support/terminal-process.js';

const machineZone = process.env.TZ;

// Whole hours, odd minutes, both hemispheres' DST, a 30-minute DST shift, the date line moved
// (Apia skipped 2011-12-30), and the aliases that reach ICU by another name.
const ZONES = [
  'Asia/Tokyo',
  'Asia/Kathmandu',
  'America/New_York',
  'America/Sao_Paulo',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Pacific/Kiritimati',
  'Europe/London',
  'UTC',
  'Asia/Calcutta',
];

describe('processZoneCalendarDate', () => {
  afterEach(() => {
    if (machineZone === undefined) delete process.env.TZ;
    else process.env.TZ = machineZone;
  });

  it("gives the same date as ICU's date formatter, for any instant in any zone", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        // 1971 to 2100: the terminal's clock is never outside it.
        fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (zone, ms) => {
          const at = new Date(ms);
          expect(processZoneCalendarDate(at, zone)).toBe(intlCalendarDate(at, zone));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('agrees minute by minute across the hours where the offset changes', () => {
    const around = [
      ['America/New_York', '2026-03-08T06:00:00Z'],
      ['America/New_York', '2026-11-01T05:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T14:30:00Z'],
      ['Pacific/Chatham', '2026-04-04T13:45:00Z'],
      ['Pacific/Apia', '2011-12-30T09:00:00Z'],
      ['Europe/London', '2026-03-29T00:30:00Z'],
    ] as const;
    for (const [zone, change] of around) {
      const from = Date.parse(change) - 3 * 3600_000;
      for (let ms = from; ms < from + 6 * 3600_000; ms += 60_000) {
        const at = new Date(ms);
        expect(processZoneCalendarDate(at, zone), `${zone} at ${at.toISOString()}`).toBe(intlCalendarDate(at, zone));
      }
    }
  });

  it("puts a night shift on the day it started in the site's zone, not the machine's", () => {
    process.env.TZ = 'UTC'; // a Pi's usual zone
    const rule = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };
    // 02:30 in Tokyo on the 25th, still the 24th's shift; in UTC it is the 24th at 17:30.
    expect(workingDay(new Date('2026-11-24T17:30:00Z'), rule, processZoneCalendarDate)).toBe('2026-11-24');
    // 05:00 in Tokyo on the 25th: a new working day, though UTC still says the 24th.
    expect(workingDay(new Date('2026-11-24T20:00:00Z'), rule, processZoneCalendarDate)).toBe('2026-11-25');
    expect(process.env.TZ).toBe('Asia/Tokyo');
  });

  describe('in a worker thread', () => {
    beforeAll(() => buildOnce());

    it('refuses, naming the zone, instead of answering in the wrong one', async () => {
      const module = pathToFileURL(join(import.meta.dirname, '../../firmware/dist/clock/site-zone.js')).href;
      const worker = new Worker(
        `import(${JSON.stringify(module)}).then((m) => {
           try { m.processZoneCalendarDate(new Date(), 'Asia/Kathmandu'); require('node:worker_threads').parentPort.postMessage('answered'); }
           catch (error) { require('node:worker_threads').parentPort.postMessage({ code: error.code, message: error.message }); }
         });`,
        { eval: true },
      );
      const answer = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      expect(answer).toEqual({
        code: 'not_main_thread',
        message: expect.stringContaining('Asia/Kathmandu') as string,
      });
    });
  });
});

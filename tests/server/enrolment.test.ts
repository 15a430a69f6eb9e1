import { parseCardRef, parseWorkerId, type TerminalId } from '@ccus-gate/protocol';
import type { ServerStore } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staffSite, storeWithSite, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/** A waiting "bind the next tap" request, on a clock of the test's own. */
describe('enrolment requests', () => {
  const dir = tempDir('enrolment');
  const clock = { ms: Date.parse('2026-11-24T00:00:00Z') };
  const terminalId = 'gate-e1' as TerminalId;
  const newcomer = parseWorkerId('70000000000007');
  let store: ServerStore;

  beforeEach(() => {
    const seeded = storeWithSite(dir.path, { now: () => new Date(clock.ms) });
    store = seeded.store;
    staffSite(store, seeded.siteId, { terminals: [terminalId], workers: [] });
    store.directory.addWorker({ workerId: newcomer, tenantId: 't1', name: 'new' });
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  const tapUnknown = (seq: number, card: string): void => {
    const terminal = store.directory.terminal(terminalId);
    if (terminal?.siteId == null || terminal.rule === null) throw new Error('not leased');
    store.taps.storeBatch(
      { ...terminal, siteId: terminal.siteId, rule: terminal.rule },
      {
        v: 1,
        terminalId,
        batchId: `7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e${String(seq).padStart(2, '0')}`,
        sentAt: new Date(clock.ms).toISOString(),
        taps: [
          {
            seq,
            card: parseCardRef(card),
            workerId: null,
            direction: 'in',
            at: new Date(clock.ms).toISOString(),
            bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
            mono: seq * 1000,
            clockSynced: true,
            flags: [],
          },
        ],
      },
    );
  };

  it('takes the first unknown card tapped after the request, and nothing once it has expired', () => {
    tapUnknown(1, '04000001'); // before the request: not taken
    // Ingest asks for the request only when the terminal's assignment, read for each batch, says one waits.
    expect(store.directory.terminal(terminalId)?.enrolmentWaiting).toBe(false);
    clock.ms += 1000;
    store.enrolments.request({ ...T1, name: 'office' }, terminalId, newcomer, 120_000);
    expect(store.directory.terminal(terminalId)?.enrolmentWaiting).toBe(true);
    expect(store.enrolments.due(terminalId)).toBeNull();
    clock.ms += 5_000;
    tapUnknown(2, '04000002');
    tapUnknown(3, '04000003');
    expect(store.enrolments.due(terminalId)?.card).toEqual(parseCardRef('04000002'));
    expect(store.enrolments.waiting(T1)).toHaveLength(1);
    clock.ms += 120_000;
    expect(store.enrolments.due(terminalId)).toBeNull();
    expect(store.enrolments.waiting(T1)).toEqual([]);
    expect(store.directory.terminal(terminalId)?.enrolmentWaiting).toBe(false);
  });
});

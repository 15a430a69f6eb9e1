import { type Alert, DEFAULT_TERMINAL_SETTINGS, type TerminalView, tenantAlerts } from '@ccus-gate/server';
import { describe, expect, it } from 'vitest';
import { freshWebFixtures, type WebFixture } from '../support/web-client.js';

const NOW = new Date('2026-11-24T03:00:00Z');
const minutesAgo = (n: number): string => new Date(NOW.getTime() - n * 60_000).toISOString();

function terminal(terminalId: string, status: unknown, statusAt: string | null): TerminalView {
  return {
    terminalId,
    tenantId: 't1',
    siteId: '20260000000001',
    leaseFrom: minutesAgo(10_000),
    leaseUntil: null,
    hardwareProfile: 'pi-pn532-uart',
    settings: DEFAULT_TERMINAL_SETTINGS,
    status,
    statusAt,
    createdAt: minutesAgo(10_000),
  };
}

const online = (extra: Record<string, unknown> = {}) => ({
  state: 'online',
  queueDepth: 0,
  oldestUndeliveredAt: null,
  ...extra,
});

describe('what needs a person', () => {
  it('names each terminal offline too long, with taps waiting too long, or low on disk; worst first', () => {
    const alerts = tenantAlerts({
      now: NOW,
      terminals: [
        terminal('gate-fine', online(), minutesAgo(1)),
        terminal('gate-briefly-gone', { state: 'offline' }, minutesAgo(5)),
        terminal('gate-gone', { state: 'offline' }, minutesAgo(45)),
        terminal('gate-silent', online(), minutesAgo(90)),
        terminal('gate-backlog', online({ queueDepth: 120, oldestUndeliveredAt: minutesAgo(75) }), minutesAgo(1)),
        terminal('gate-recent-backlog', online({ queueDepth: 3, oldestUndeliveredAt: minutesAgo(5) }), minutesAgo(1)),
        terminal(
          'gate-full',
          online({
            health: {
              cpuTempC: 50,
              throttled: null,
              diskFreeBytes: 100 * 1024 * 1024,
              diskTotalBytes: 32 * 1024 ** 3,
              storeBytes: 1,
              tapsPerDay: 400,
              daysOfTapsLeft: 3,
              memoryRssBytes: 1,
              memoryAvailableBytes: null,
              uptimeSeconds: 1,
              readerErrors: 0,
            },
          }),
          minutesAgo(1),
        ),
      ],
      refused: 2,
      held: 1,
      atRisk: [{ workerId: '1' }, { workerId: '2' }] as never,
      unknownCards: [
        {
          siteId: '20260000000001',
          card: { tech: 'mifare', id: '04AA' },
          taps: 2,
          firstAt: minutesAgo(60),
          lastAt: minutesAgo(60),
        },
        {
          siteId: '20260000000001',
          card: { tech: 'mifare', id: '04BB' },
          taps: 1,
          firstAt: minutesAgo(20_000),
          lastAt: minutesAgo(20_000),
        },
      ] as never,
    });
    const brief = (a: Alert) => [a.kind, a.terminalId, a.count];
    expect(alerts.map(brief)).toEqual([
      ['terminal_offline', 'gate-gone', 0],
      ['terminal_offline', 'gate-silent', 0],
      ['records_refused', null, 2],
      ['deadline_near', null, 2],
      ['taps_waiting', 'gate-backlog', 120],
      ['terminal_disk', 'gate-full', 0],
      ['records_held', null, 1],
      ['unknown_cards', null, 1],
    ]);
  });
});

describe('alerts over the API and on Today', () => {
  let f: WebFixture;
  freshWebFixtures('alerts', (fixture) => {
    f = fixture;
  });

  it('shows a tenant its own alerts only, on Today with a link to where each is put right', async () => {
    const own = (await (await f.call(f.a.viewer, 'GET', '/api/v1/alerts')).json()) as { alerts: Alert[] };
    // The fixture's terminal has never reported, and a card it read is known to no one.
    expect(own.alerts.map((a) => a.kind)).toEqual(['terminal_offline', 'unknown_cards']);
    expect(JSON.stringify(own)).not.toContain(f.b.terminalId);
    const viewer = await f.client('a-viewer');
    await viewer.get(`/today?site=${f.a.siteId}`);
    expect(viewer.html).toContain('data-testid="alerts"');
    expect(viewer.html).toContain(`端末 ${f.a.terminalId} がオフラインです`);
    expect(viewer.html).toMatch(/<li class="bad" data-alert="terminal_offline"><a href="\/terminals">/);
  });
});

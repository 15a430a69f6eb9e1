import type { OnlineStatus } from '@ccus-gate/protocol';

/** A terminal's online status as it reports it: all well, with what a test changes laid over. */
export function onlineStatus(terminalId: string, extra: Partial<OnlineStatus> = {}): OnlineStatus {
  return {
    v: 1,
    terminalId: terminalId as OnlineStatus['terminalId'],
    state: 'online',
    at: new Date().toISOString(),
    firmware: '0.1.0',
    bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
    queueDepth: 0,
    oldestUndeliveredAt: null,
    rejectedCount: 0,
    clock: { synced: true, source: 'system' },
    rosterVersion: 1,
    reader: { state: 'ok', model: 'PN532' },
    store: { state: 'ok' },
    lastError: null,
    ...extra,
  };
}

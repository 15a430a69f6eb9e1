import {
  decodeMessage,
  parseTerminalId,
  parseWorkerId,
  type Roster,
  type TerminalId,
  topicFor,
} from '@ccus-gate/protocol';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/** Every roster the terminal is sent, as it arrives (the retained one first). */
async function rostersOf(url: string, terminalId: TerminalId, password: string) {
  const client = await mqtt.connectAsync(url, {
    clientId: terminalId,
    username: terminalId,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const rosters: Roster[] = [];
  client.on('message', (_topic, payload) => {
    if (payload.length > 0) rosters.push(decodeMessage('roster', payload));
  });
  await client.subscribeAsync(topicFor(terminalId, 'roster'), { qos: 1 });
  return { rosters, close: () => client.endAsync() };
}

/**
 * A site's roster goes to each of its terminals, read once for them all when it changes;
 * a terminal that reads QR codes gets its own, with the workers who have no card.
 */
describe('rosters published to a site with several terminals', () => {
  let dir: ReturnType<typeof tempDir>;
  let h: SyncServerHarness;

  beforeEach(async () => {
    dir = tempDir('roster-publishing');
    h = await startSyncServer(dir.path);
  });
  afterEach(async () => {
    await h.close();
    dir.remove();
  });

  it('sends every terminal at the site the new roster, and the QR terminal the one with QR codes', async () => {
    const directory = h.store.directory;
    const second = parseTerminalId('gate-test-02');
    const qrGate = parseTerminalId('gate-test-qr');
    const secondPassword = directory.createTerminal({ terminalId: second, tenantId: 't1', siteId: h.siteId });
    const qrPassword = directory.createTerminal({
      terminalId: qrGate,
      tenantId: 't1',
      siteId: h.siteId,
      hardwareProfile: 'pi-pn532-qr',
    });
    const terminals = await Promise.all([
      rostersOf(h.url, h.terminalId, h.terminalPassword),
      rostersOf(h.url, second, secondPassword),
      rostersOf(h.url, qrGate, qrPassword),
    ]);
    try {
      const cardless = parseWorkerId('30000000000003');
      directory.addWorker({ workerId: cardless, tenantId: 't1', name: 'カードなし' });
      directory.addToRoster(h.siteId, cardless);
      await h.server.publishSiteRoster(h.siteId);
      const version = directory.rosterFor(h.siteId).version;
      const latest = await Promise.all(
        terminals.map(async ({ rosters }) => {
          await waitFor('the new roster', () => rosters.some((roster) => roster.version === version));
          return rosters.find((roster) => roster.version === version) as Roster;
        }),
      );
      const [first, other, qr] = latest as [Roster, Roster, Roster];
      // One read for both: the same roster to the moment it was issued.
      expect(other).toEqual(first);
      const asRead = (roster: Roster) => ({ ...roster, issuedAt: undefined });
      expect(asRead(first)).toEqual(asRead(directory.rosterFor(h.siteId)));
      expect(first.entries.some((entry) => entry.workerId === cardless)).toBe(false);
      expect(asRead(qr)).toEqual(asRead(directory.rosterFor(h.siteId, { qrCodes: true })));
      expect(qr.entries).toContainEqual({ card: { tech: 'qr', id: cardless }, workerId: cardless });
    } finally {
      for (const terminal of terminals) await terminal.close();
    }
  });
});

import { NotifiedChangeFeed } from '@ccus-gate/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreEngines } from '../support/store-engines.js';
import { waitFor } from '../support/wait.js';

type Change = Parameters<NotifiedChangeFeed['publish']>[0];

/**
 * Live pages across servers on PostgreSQL: what one server changes reaches the others at
 * once by LISTEN/NOTIFY, never itself, however long the list of sites, and again after the
 * database has been away.
 */
describe('the change feed on PostgreSQL', () => {
  const engines = new StoreEngines();
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  let url: string;
  const feeds: NotifiedChangeFeed[] = [];
  const heard = new Map<string, Change[]>();
  const feed = async (serverId: string) => {
    const made = new NotifiedChangeFeed({ url, serverId, log });
    heard.set(serverId, []);
    made.on('change', (change) => heard.get(serverId)?.push(change));
    await made.start();
    feeds.push(made);
    return made;
  };

  beforeAll(async () => {
    url = await engines.postgresUrl();
  });
  afterAll(async () => {
    for (const made of feeds) await made.stop();
    await engines.close();
  });

  it('tells the other servers what one changed, and not itself; a long list of sites comes whole', async () => {
    const a = await feed('server-a');
    await feed('server-b');
    await feed('server-c');
    a.publish({ kind: 'taps', terminalId: 'gate-a' });
    const siteIds = Array.from({ length: 2000 }, (_, i) => `2026${String(i).padStart(10, '0')}`);
    a.publish({ kind: 'records', siteIds });
    const sitesHeard = (serverId: string) =>
      (heard.get(serverId) ?? []).flatMap((change) => (change.kind === 'records' ? change.siteIds : []));
    await waitFor(
      'both others heard every site',
      () => sitesHeard('server-b').length === 2000 && sitesHeard('server-c').length === 2000,
    );
    expect(sitesHeard('server-b').sort()).toEqual(siteIds);
    expect(heard.get('server-c')?.[0]).toEqual({ kind: 'taps', terminalId: 'gate-a' });
    expect(heard.get('server-a')).toEqual([]);
  });

  it('sends what changes while a notice is on its way together with the next, each change once', async () => {
    const [a] = feeds as [NotifiedChangeFeed];
    heard.set('server-b', []);
    // The morning rush: a batch stored every moment at five terminals.
    for (let i = 0; i < 500; i++) a.publish({ kind: 'taps', terminalId: `gate-${i % 5}` });
    a.publish({ kind: 'records', siteIds: ['20260000000001'] });
    const terminals = () => new Set((heard.get('server-b') ?? []).map((change) => JSON.stringify(change)));
    await waitFor('server-b heard of every terminal and the records', () => terminals().size === 6);
    // The first went at once; the rest, waiting on it, went in one send, each once.
    expect(heard.get('server-b')?.length).toBeLessThanOrEqual(7);
    expect(heard.get('server-b')?.at(-1)).toEqual({ kind: 'records', siteIds: ['20260000000001'] });
  });

  it('listens again once the database is back', async () => {
    const b = feeds[1] as NotifiedChangeFeed;
    heard.set('server-a', []);
    engines.cluster.halt();
    // Published while the database is away: lost, and said in the log, never thrown.
    b.publish({ kind: 'status', terminalId: 'gate-b' });
    engines.cluster.resume();
    await waitFor(
      'server-a hears server-b again',
      () => {
        b.publish({ kind: 'status', terminalId: 'gate-b' });
        return (heard.get('server-a') ?? []).length > 0;
      },
      20_000,
    );
    expect(heard.get('server-a')?.[0]).toEqual({ kind: 'status', terminalId: 'gate-b' });
  }, 30_000);
});

import type { EventEmitter } from 'node:events';
import type { TerminalId } from '@ccus-gate/protocol';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Change } from '../changes/change-feed-store.js';
import type { IngestResult } from '../ingest/tap-ingest.js';
import type { RecordKey } from '../records/record-queue.js';
import type { SyncServerEvents } from '../server.js';
import type { DirectoryStore } from '../store/directory-store.js';
import type { Eventually } from '../store/server-stores.js';

/** The sync server's events; a live page follows a new batch, a terminal's status, records built. */
export type LiveSource = EventEmitter<SyncServerEvents>;

/** What one page watches: a site's taps (today), or the tenant's terminals. */
export type LiveFilter = { siteId: string } | { tenantId: string };

const KEEPALIVE_MS = 25_000;

/**
 * Server-sent events that tell a page "something you show has changed", never what: the
 * page fetches its own content again as its user, so nothing passes the tenant's scope.
 */
export function liveChanges(
  events: LiveSource,
  directory: Pick<Eventually<DirectoryStore>, 'terminal'>,
): { stream(c: Context, filter: LiveFilter): Response; close(): void } {
  const open = new Set<() => void>();

  const concerns = async (filter: LiveFilter, terminalId: TerminalId): Promise<boolean> => {
    const terminal = await directory.terminal(terminalId);
    if (terminal === null) return false;
    return 'siteId' in filter ? terminal.siteId === filter.siteId : terminal.tenantId === filter.tenantId;
  };

  return {
    stream: (c, filter) =>
      streamSSE(c, async (stream) => {
        const changed = (): void => void stream.writeSSE({ event: 'change', data: '' }).catch(() => {});
        const onBatch = ({ terminalId, result }: { terminalId: TerminalId; result: IngestResult }): void => {
          if (result.inserted === 0 || !('siteId' in filter)) return;
          void concerns(filter, terminalId).then((yes) => yes && changed());
        };
        const onStatus = ({ terminalId }: { terminalId: TerminalId }): void => {
          if ('tenantId' in filter) void concerns(filter, terminalId).then((yes) => yes && changed());
        };
        const onRecords = (keys: RecordKey[]): void => {
          if ('siteId' in filter && keys.some((key) => key.siteId === filter.siteId)) changed();
        };
        // Another server's changes: the same rules, from what the change feed says.
        const onRemote = (change: Change): void => {
          if (change.kind === 'records') {
            if ('siteId' in filter && change.siteIds.includes(filter.siteId)) changed();
          } else if ((change.kind === 'taps') === 'siteId' in filter) {
            void concerns(filter, change.terminalId as TerminalId).then((yes) => yes && changed());
          }
        };
        events.on('batch', onBatch);
        events.on('status', onStatus);
        events.on('records', onRecords);
        events.on('remote', onRemote);
        const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => {}), KEEPALIVE_MS);
        try {
          // First word on every (re)connection: what happened before it opened is fetched now.
          await stream.writeSSE({ event: 'change', data: 'hello' });
          let end = (): void => {};
          await new Promise<void>((resolve) => {
            end = resolve;
            stream.onAbort(resolve);
            open.add(resolve);
          });
          open.delete(end);
        } finally {
          clearInterval(keepAlive);
          events.off('batch', onBatch);
          events.off('status', onStatus);
          events.off('records', onRecords);
          events.off('remote', onRemote);
        }
      }),
    close() {
      for (const end of open) end();
      open.clear();
    },
  };
}

import { type CardRef, decodeMessage, type Roster, type TerminalConfig, type WorkerId } from '@ccus-gate/protocol';
import type Database from 'better-sqlite3';
import { toStoreError } from '../errors.js';

/** The store's statement cache: one prepared statement per SQL text, shared with the taps. */
// biome-ignore lint/suspicious/noExplicitAny: statements are typed where their rows are read.
type Statements = (sql: string) => Database.Statement<any[], any>;

/**
 * What the terminal keeps from the server, in the same database as its taps: the site's
 * roster (read at every tap, to tell the worker at once whether the card is known) and the
 * last config, so a restart without network still runs by it.
 */
export class RosterCache {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #resolve: Database.Statement<[string, string], { worker_id: string }>;
  readonly #rosterWorker: Database.Statement<[string], { worker_id: string }>;

  constructor(db: Database.Database, sql: Statements) {
    this.#db = db;
    this.#sql = sql;
    this.#resolve = sql(`SELECT worker_id FROM roster WHERE tech = ? AND card_id = ?`);
    this.#rosterWorker = sql(`SELECT worker_id FROM roster WHERE worker_id = ? LIMIT 1`);
  }

  /** The worker a card is bound to on the roster; a QR code's worker when the roster has them. */
  resolveCard(card: CardRef): WorkerId | null {
    if (card.tech === 'qr') return (this.#rosterWorker.get(card.id)?.worker_id ?? null) as WorkerId | null;
    return (this.#resolve.get(card.tech, card.id)?.worker_id ?? null) as WorkerId | null;
  }

  rosterVersion(): number | null {
    const value = this.#meta('roster_version');
    return value === null ? null : Number(value);
  }

  /** Replaces the roster in one transaction; an older or equal version is ignored. */
  applyRoster(roster: Roster): boolean {
    const current = this.rosterVersion();
    if (current !== null && roster.version <= current) return false;
    const run = this.#db.transaction(() => {
      this.#sql('DELETE FROM roster').run();
      const insert = this.#sql('INSERT INTO roster (tech, card_id, worker_id) VALUES (?, ?, ?)');
      for (const entry of roster.entries) insert.run(entry.card.tech, entry.card.id, entry.workerId);
      this.#setMeta('roster_version', String(roster.version));
    });
    try {
      run();
    } catch (error) {
      throw toStoreError(error, `applying roster version ${roster.version}`);
    }
    return true;
  }

  /** The server's last config, kept so a restart without network still runs by it. */
  savedConfig(): TerminalConfig | null {
    const value = this.#meta('config');
    if (value === null) return null;
    try {
      return decodeMessage('config', value);
    } catch {
      return null; // from an older firmware that wrote another shape: wait for the server's
    }
  }

  /** Writes the config only when its version is new: nothing is written on a mere reconnect. */
  saveConfig(config: TerminalConfig): boolean {
    if ((this.savedConfig()?.version ?? 0) >= config.version) return false;
    try {
      this.#setMeta('config', JSON.stringify(config));
    } catch (error) {
      throw toStoreError(error, `saving config version ${config.version}`);
    }
    return true;
  }

  /** The previous tenant's roster and config, on a move to another site (inside the caller's transaction). */
  forget(): void {
    this.#sql('DELETE FROM roster').run();
    this.#sql(`DELETE FROM meta WHERE key IN ('roster_version', 'config')`).run();
  }

  #meta(key: string): string | null {
    const row = this.#sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  #setMeta(key: string, value: string): void {
    this.#sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      key,
      value,
    );
  }
}

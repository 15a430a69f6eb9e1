import { randomBytes } from 'node:crypto';
import type { Actor } from '../store/correction-store.js';
import type { SqliteDb } from '../store/sqlite-db.js';
import { StoreError } from '../store/store-error.js';
import { scoped, type TenantScope } from '../store/tenant-scope.js';
import type { Alert, AlertKind } from './tenant-alerts.js';

export type AlertChannel = 'email' | 'webhook';

export interface AlertSubscription {
  id: number;
  channel: AlertChannel;
  /** An e-mail address, or the webhook's URL. */
  target: string;
  kinds: AlertKind[];
  lang: 'ja' | 'en';
  createdBy: string;
  createdAt: string;
}

/** A delivery due now, with what it goes to. */
export interface DueDelivery {
  id: number;
  tenantId: string;
  alertKey: string;
  alert: Alert;
  attempts: number;
  subscription: AlertSubscription & { secret: string | null };
}

interface SubscriptionRow {
  id: number;
  tenant_id: string;
  channel: AlertChannel;
  target: string;
  secret: string | null;
  kinds: string;
  lang: 'ja' | 'en';
  created_by: string;
  created_at: string;
  sites: string | null;
}

const fromRow = (row: SubscriptionRow): AlertSubscription => ({
  id: row.id,
  channel: row.channel,
  target: row.target,
  kinds: JSON.parse(row.kinds) as AlertKind[],
  lang: row.lang,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

/**
 * The same situation is one alert, delivered once: a terminal's outage by its start, counts of
 * records and cards at most once a day while they last.
 */
export function alertKey(alert: Alert, today: string): string {
  return alert.terminalId === null
    ? `${alert.kind}:${today}`
    : `${alert.kind}:${alert.terminalId}:${alert.since ?? today}`;
}

/** Alert subscriptions and their deliveries (alert-dispatcher.ts sends them). */
export class AlertSubscriptionStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  /** A new subscription; a webhook's signing secret is in the answer only this once. */
  subscribe(
    actor: Actor,
    input: { channel: AlertChannel; target: string; kinds: AlertKind[]; lang: 'ja' | 'en' },
  ): { subscription: AlertSubscription; secret: string | null } {
    const secret = input.channel === 'webhook' ? randomBytes(32).toString('base64url') : null;
    const { lastInsertRowid } = this.#db
      .sql(
        `INSERT INTO alert_subscriptions (tenant_id, channel, target, secret, kinds, lang, created_by, created_at, sites)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        actor.tenantId,
        input.channel,
        input.target,
        secret,
        JSON.stringify(input.kinds),
        input.lang,
        actor.name,
        this.#db.iso(),
        scoped(actor).siteList,
      );
    return { subscription: this.#get(actor, Number(lastInsertRowid)), secret };
  }

  subscriptions(scope: TenantScope): AlertSubscription[] {
    const rows = this.#db
      .sql('SELECT * FROM alert_subscriptions WHERE tenant_id = ? ORDER BY id')
      .all(scope.tenantId) as SubscriptionRow[];
    return rows.map(fromRow);
  }

  unsubscribe(scope: TenantScope, id: number): AlertSubscription {
    const subscription = this.#get(scope, id);
    this.#db.sql('DELETE FROM alert_subscriptions WHERE id = ?').run(id);
    return subscription;
  }

  /** The tenants anyone subscribed at. */
  /** Each tenant with subscriptions, once per set of sites its subscribers are limited to. */
  tenantsSubscribed(): TenantScope[] {
    return (
      this.#db
        .sql(
          `SELECT DISTINCT s.tenant_id AS tenantId, t.company_id AS companyId, s.sites
             FROM alert_subscriptions s JOIN tenants t USING (tenant_id) ORDER BY s.tenant_id, s.sites`,
        )
        .all() as { tenantId: string; companyId: string; sites: string | null }[]
    ).map((row) => ({ ...row, sites: row.sites === null ? null : (JSON.parse(row.sites) as string[]) }));
  }

  /** Queues each alert for each subscription that wants its kind, unless it was queued before; returns how many were new. */
  offer(scope: TenantScope, alerts: readonly Alert[], today: string): number {
    return this.#db.transaction(() => {
      const now = this.#db.iso();
      const insert = this.#db.sql(
        `INSERT OR IGNORE INTO alert_deliveries (subscription_id, alert_key, alert, state, next_attempt_at, created_at)
         VALUES (?, ?, ?, 'pending', ?, ?)`,
      );
      let added = 0;
      // Alerts of these sites go to the subscriptions limited to just these sites (null: all).
      const rows = this.#db
        .sql('SELECT * FROM alert_subscriptions WHERE tenant_id = ? AND sites IS ? ORDER BY id')
        .all(scope.tenantId, scoped(scope).siteList) as SubscriptionRow[];
      for (const subscription of rows.map(fromRow)) {
        for (const alert of alerts) {
          if (!subscription.kinds.includes(alert.kind)) continue;
          added += insert.run(subscription.id, alertKey(alert, today), JSON.stringify(alert), now, now).changes;
        }
      }
      return added;
    });
  }

  due(limit: number): DueDelivery[] {
    const rows = this.#db
      .sql(
        `SELECT d.id AS delivery_id, d.alert_key, d.alert, d.attempts, s.*
           FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id
           WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`,
      )
      .all(this.#db.iso(), limit) as (SubscriptionRow & {
      delivery_id: number;
      alert_key: string;
      alert: string;
      attempts: number;
    })[];
    return rows.map((row) => ({
      id: row.delivery_id,
      tenantId: row.tenant_id,
      alertKey: row.alert_key,
      alert: JSON.parse(row.alert) as Alert,
      attempts: row.attempts,
      subscription: { ...fromRow(row), secret: row.secret },
    }));
  }

  markSent(id: number): void {
    this.#db
      .sql(
        `UPDATE alert_deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`,
      )
      .run(this.#db.iso(), id);
  }

  /** A failed attempt: tried again at `retryAt`, or given up (null). */
  markFailed(id: number, error: string, retryAt: string | null): void {
    this.#db
      .sql(
        `UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?,
           state = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END, next_attempt_at = coalesce(?, next_attempt_at)
         WHERE id = ?`,
      )
      .run(error.slice(0, 300), retryAt, retryAt, id);
  }

  /** The tenant's recent deliveries, newest first: what went out, what is retrying, what gave up. */
  deliveries(
    scope: TenantScope,
    limit = 100,
  ): {
    id: number;
    subscriptionId: number;
    alertKey: string;
    state: string;
    attempts: number;
    lastError: string | null;
    sentAt: string | null;
  }[] {
    return (
      this.#db
        .sql(
          `SELECT d.* FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id
             WHERE s.tenant_id = ? ORDER BY d.id DESC LIMIT ?`,
        )
        .all(scope.tenantId, limit) as {
        id: number;
        subscription_id: number;
        alert_key: string;
        state: string;
        attempts: number;
        last_error: string | null;
        sent_at: string | null;
      }[]
    ).map((row) => ({
      id: row.id,
      subscriptionId: row.subscription_id,
      alertKey: row.alert_key,
      state: row.state,
      attempts: row.attempts,
      lastError: row.last_error,
      sentAt: row.sent_at,
    }));
  }

  #get(scope: TenantScope, id: number): AlertSubscription {
    const row = this.#db
      .sql('SELECT * FROM alert_subscriptions WHERE id = ? AND tenant_id = ?')
      .get(id, scope.tenantId) as SubscriptionRow | undefined;
    if (row === undefined) throw new StoreError('not_found', `no alert subscription ${id} at this tenant`, 'id');
    return fromRow(row);
  }
}

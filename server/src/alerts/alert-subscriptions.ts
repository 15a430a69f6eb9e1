import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../store/correction-store.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
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

/** A tenant's recent delivery, as its page shows it. */
export interface AlertDelivery {
  id: number;
  subscriptionId: number;
  alertKey: string;
  state: string;
  attempts: number;
  lastError: string | null;
  sentAt: string | null;
}

/** Alert subscriptions and their deliveries (alert-dispatcher.ts sends them). */
export class AlertSubscriptionStore<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;

  constructor(engine: E) {
    this.#engine = engine;
  }

  get #db() {
    return this.#engine.db;
  }

  #now(): string {
    return this.#engine.now().toISOString();
  }

  /** A new subscription; a webhook's signing secret is in the answer only this once. */
  subscribe(
    actor: Actor,
    input: { channel: AlertChannel; target: string; kinds: AlertKind[]; lang: 'ja' | 'en' },
  ): Answer<E, { subscription: AlertSubscription; secret: string | null }> {
    return this.#engine.transaction(() => this.#subscribe(actor, input)) as Answer<
      E,
      { subscription: AlertSubscription; secret: string | null }
    >;
  }

  *#subscribe(
    actor: Actor,
    input: { channel: AlertChannel; target: string; kinds: AlertKind[]; lang: 'ja' | 'en' },
  ): Work<{ subscription: AlertSubscription; secret: string | null }> {
    const secret = input.channel === 'webhook' ? randomBytes(32).toString('base64url') : null;
    const made = yield* firstRow(
      this.#db
        .insertInto('alert_subscriptions')
        .values({
          tenant_id: actor.tenantId,
          channel: input.channel,
          target: input.target,
          secret,
          kinds: JSON.stringify(input.kinds),
          lang: input.lang,
          created_by: actor.name,
          created_at: this.#now(),
          sites: scoped(actor).siteList,
        })
        .returning('id'),
    );
    return { subscription: yield* this.#get(actor, Number(made?.id)), secret };
  }

  subscriptions(scope: TenantScope): Answer<E, AlertSubscription[]> {
    return this.#engine.run(this.#subscriptions(scope)) as Answer<E, AlertSubscription[]>;
  }

  *#subscriptions(scope: TenantScope): Work<AlertSubscription[]> {
    const found = yield* rows(
      this.#db.selectFrom('alert_subscriptions').selectAll().where('tenant_id', '=', scope.tenantId).orderBy('id'),
    );
    return (found as SubscriptionRow[]).map(fromRow);
  }

  unsubscribe(scope: TenantScope, id: number): Answer<E, AlertSubscription> {
    return this.#engine.transaction(() => this.#unsubscribe(scope, id)) as Answer<E, AlertSubscription>;
  }

  *#unsubscribe(scope: TenantScope, id: number): Work<AlertSubscription> {
    const subscription = yield* this.#get(scope, id);
    yield* execute(this.#db.deleteFrom('alert_subscriptions').where('id', '=', id));
    return subscription;
  }

  /** Each tenant with subscriptions, once per set of sites its subscribers are limited to. */
  tenantsSubscribed(): Answer<E, TenantScope[]> {
    return this.#engine.run(this.#tenantsSubscribed()) as Answer<E, TenantScope[]>;
  }

  *#tenantsSubscribed(): Work<TenantScope[]> {
    const found = yield* rows(
      this.#db
        .selectFrom('alert_subscriptions as s')
        .innerJoin('tenants as t', 't.tenant_id', 's.tenant_id')
        .select(['s.tenant_id as tenantId', 't.company_id as companyId', 's.sites'])
        .distinct()
        .orderBy('s.tenant_id')
        .orderBy('s.sites'),
    );
    return found.map((row) => ({
      tenantId: row.tenantId,
      companyId: row.companyId,
      sites: row.sites === null ? null : (JSON.parse(row.sites) as string[]),
    }));
  }

  /** Queues each alert for each subscription that wants its kind, unless it was queued before; returns how many were new. */
  offer(scope: TenantScope, alerts: readonly Alert[], today: string): Answer<E, number> {
    return this.#engine.transaction(() => this.#offer(scope, alerts, today)) as Answer<E, number>;
  }

  *#offer(scope: TenantScope, alerts: readonly Alert[], today: string): Work<number> {
    const now = this.#now();
    let added = 0;
    // Alerts of these sites go to the subscriptions limited to just these sites (null: all).
    const found = yield* rows(
      this.#db
        .selectFrom('alert_subscriptions')
        .selectAll()
        .where('tenant_id', '=', scope.tenantId)
        .where('sites', 'is not distinct from', scoped(scope).siteList)
        .orderBy('id'),
    );
    for (const subscription of (found as SubscriptionRow[]).map(fromRow)) {
      for (const alert of alerts) {
        if (!subscription.kinds.includes(alert.kind)) continue;
        added += yield* execute(
          this.#db
            .insertInto('alert_deliveries')
            .values({
              subscription_id: subscription.id,
              alert_key: alertKey(alert, today),
              alert: JSON.stringify(alert),
              state: 'pending',
              next_attempt_at: now,
              created_at: now,
            })
            .onConflict((conflict) => conflict.columns(['subscription_id', 'alert_key']).doNothing()),
        );
      }
    }
    return added;
  }

  due(limit: number): Answer<E, DueDelivery[]> {
    return this.#engine.run(this.#due(limit)) as Answer<E, DueDelivery[]>;
  }

  *#due(limit: number): Work<DueDelivery[]> {
    const found = yield* rows(
      this.#db
        .selectFrom('alert_deliveries as d')
        .innerJoin('alert_subscriptions as s', 's.id', 'd.subscription_id')
        .select(['d.id as delivery_id', 'd.alert_key', 'd.alert', 'd.attempts'])
        .selectAll('s')
        // Written into the SQL, not bound: a bound value deciding whether the partial index
        // alert_deliveries_due applies makes SQLite compile the statement again at every run.
        .where('d.state', '=', sql.lit('pending'))
        .where('d.next_attempt_at', '<=', this.#now())
        .orderBy('d.next_attempt_at')
        .orderBy('d.id')
        .limit(limit),
    );
    return found.map((row) => ({
      id: Number(row.delivery_id),
      tenantId: row.tenant_id,
      alertKey: row.alert_key,
      alert: JSON.parse(row.alert) as Alert,
      attempts: row.attempts,
      subscription: { ...fromRow(row as unknown as SubscriptionRow), secret: row.secret },
    }));
  }

  markSent(id: number): Answer<E, void> {
    return this.#engine.run(this.#markSent(id)) as Answer<E, void>;
  }

  *#markSent(id: number): Work<void> {
    yield* execute(
      this.#db
        .updateTable('alert_deliveries')
        .set((eb) => ({ state: 'sent', attempts: eb('attempts', '+', 1), sent_at: this.#now(), last_error: null }))
        .where('id', '=', id),
    );
  }

  /** A failed attempt: tried again at `retryAt`, or given up (null). */
  markFailed(id: number, error: string, retryAt: string | null): Answer<E, void> {
    return this.#engine.run(this.#markFailed(id, error, retryAt)) as Answer<E, void>;
  }

  *#markFailed(id: number, error: string, retryAt: string | null): Work<void> {
    yield* execute(
      this.#db
        .updateTable('alert_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: error.slice(0, 300),
          state: retryAt === null ? 'failed' : 'pending',
          next_attempt_at: retryAt ?? eb.ref('next_attempt_at'),
        }))
        .where('id', '=', id),
    );
  }

  /** The tenant's recent deliveries, newest first: what went out, what is retrying, what gave up. */
  deliveries(scope: TenantScope, limit = 100): Answer<E, AlertDelivery[]> {
    return this.#engine.run(this.#deliveries(scope, limit)) as Answer<E, AlertDelivery[]>;
  }

  *#deliveries(scope: TenantScope, limit: number): Work<AlertDelivery[]> {
    const found = yield* rows(
      this.#db
        .selectFrom('alert_deliveries as d')
        .innerJoin('alert_subscriptions as s', 's.id', 'd.subscription_id')
        .selectAll('d')
        .where('s.tenant_id', '=', scope.tenantId)
        .orderBy('d.id', 'desc')
        .limit(limit),
    );
    return found.map((row) => ({
      id: Number(row.id),
      subscriptionId: row.subscription_id,
      alertKey: row.alert_key,
      state: row.state,
      attempts: row.attempts,
      lastError: row.last_error,
      sentAt: row.sent_at,
    }));
  }

  *#get(scope: TenantScope, id: number): Work<AlertSubscription> {
    const row = yield* firstRow(
      this.#db
        .selectFrom('alert_subscriptions')
        .selectAll()
        .where('id', '=', id)
        .where('tenant_id', '=', scope.tenantId),
    );
    if (row === undefined) throw new StoreError('not_found', `no alert subscription ${id} at this tenant`, 'id');
    return fromRow(row as SubscriptionRow);
  }
}

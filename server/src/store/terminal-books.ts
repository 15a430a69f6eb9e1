import {
  type GateLanguage,
  QR_HARDWARE_PROFILES,
  type SiteId,
  type TerminalConfig,
  type TerminalId,
} from '@ccus-gate/protocol';
import { generateSecret, hashSecret, mosquittoHash, secretMatches } from '../credentials.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapFirst, mapRows, mustChange, refusing, type Work } from './engine/work.js';
import { SiteRosters } from './site-rosters.js';
import { StoreError } from './store-error.js';
import { type TenantScope, withinSites } from './tenant-scope.js';
import { type TerminalAssignment, terminalAssignment } from './terminal-assignment.js';
import { bumpTerminalConfig, nextVersion } from './version-counter.js';

/** How a terminal behaves at the gate; the site adds its time zone and day boundary. */
export interface TerminalSettings {
  directionMode: TerminalConfig['directionMode'];
  debounceSeconds: number;
  unknownCard: TerminalConfig['unknownCard'];
  retentionDays: number;
}

export const DEFAULT_TERMINAL_SETTINGS: TerminalSettings = {
  directionMode: 'toggle',
  debounceSeconds: 10,
  unknownCard: 'accept',
  retentionDays: 90,
};

export interface TerminalView {
  terminalId: string;
  /** The tenant leasing it now; null when nobody does. */
  tenantId: string | null;
  siteId: string | null;
  leaseFrom: string | null;
  leaseUntil: string | null;
  hardwareProfile: string | null;
  settings: TerminalSettings;
  status: unknown;
  statusAt: string | null;
  createdAt: string;
}

export interface Lease {
  tenantId: string;
  siteId: SiteId;
  from: string;
  until: string | null;
}

interface TerminalRow {
  terminal_id: string | null;
  tenant_id: string | null;
  site_id: string | null;
  lease_from: string | null;
  lease_until: string | null;
  hardware_profile: string | null;
  config: string | null;
  status: string | null;
  status_at: string | null;
  created_at: string;
}

/**
 * A terminal as its tenant sees it: a status reported before the tenant's lease began was
 * the previous tenant's (their pending taps, their errors) and is not shown; the operator
 * (no scope) sees it all.
 */
function terminalFromRow(row: TerminalRow, scope: TenantScope | null = null): TerminalView {
  const ownStatus =
    scope === null || (row.status_at !== null && (row.lease_from === null || row.status_at >= row.lease_from));
  return {
    terminalId: row.terminal_id as string,
    tenantId: row.tenant_id,
    siteId: row.site_id,
    leaseFrom: row.lease_from,
    leaseUntil: row.lease_until,
    hardwareProfile: row.hardware_profile,
    settings: row.config === null ? DEFAULT_TERMINAL_SETTINGS : (JSON.parse(row.config) as TerminalSettings),
    status: row.status === null || !ownStatus ? null : JSON.parse(row.status),
    statusAt: ownStatus ? row.status_at : null,
    createdAt: row.created_at,
  };
}

/**
 * Terminals, their credentials and leases, settings, status and the config each is sent.
 * A terminal's taps belong to the lease in force when they were taken.
 */
export abstract class TerminalBooks<E extends StoreEngine = StoreEngine> extends SiteRosters<E> {
  // ---- terminals ----------------------------------------------------------------------

  /** Registers a terminal (leased at once when tenant and site are given) and returns its password. */
  createTerminal(terminal: {
    terminalId: TerminalId;
    tenantId?: string;
    siteId?: SiteId;
    secret?: string;
    hardwareProfile?: string;
  }): Answer<E, string> {
    const secret = terminal.secret ?? generateSecret('cgt');
    const now = this.iso();
    const self = this;
    return this.transaction(function* () {
      const version = yield* nextVersion(self.engine);
      yield* refusing(
        self.db.insertInto('terminals').values({
          terminal_id: terminal.terminalId,
          secret_hash: hashSecret(secret),
          broker_hash: mosquittoHash(secret),
          created_at: now,
          hardware_profile: terminal.hardwareProfile ?? null,
          config_version: version,
        }),
        `terminal ${terminal.terminalId}`,
        'terminalId',
      );
      if (terminal.tenantId !== undefined && terminal.siteId !== undefined) {
        yield* self.#lease(terminal.terminalId, {
          tenantId: terminal.tenantId,
          siteId: terminal.siteId,
          from: now,
          until: null,
        });
      }
      return secret;
    });
  }

  /** New credentials for a terminal (provisioning); the old password stops working. */
  rotateTerminalSecret(terminalId: TerminalId): Answer<E, string> {
    const secret = generateSecret('cgt');
    const update = this.db
      .updateTable('terminals')
      .set({ secret_hash: hashSecret(secret), broker_hash: mosquittoHash(secret) })
      .where('terminal_id', '=', terminalId);
    return this.run(
      (function* () {
        yield* mustChange(update, () => new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId'));
        return secret;
      })(),
    );
  }

  /**
   * Leases the terminal to a tenant at one of its sites, ending any lease it had. The
   * terminal is then sent a newer config and roster, which replace everything it held of
   * the previous tenant. Returns the previous lease's tenant.
   */
  lease(terminalId: TerminalId, lease: Lease): Answer<E, { previousTenantId: string | null }> {
    return this.transaction(() => this.#lease(terminalId, lease));
  }

  *#lease(terminalId: TerminalId, lease: Lease): Work<{ previousTenantId: string | null }> {
    const current = yield* firstRow(
      this.db.selectFrom('terminals').select('tenant_id').where('terminal_id', '=', terminalId),
    );
    if (current === undefined) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    const scope = yield* this.tenantScopeWork(lease.tenantId);
    yield* this.requireSiteWork(scope, lease.siteId);
    if (lease.until !== null && lease.until <= lease.from) {
      throw new StoreError('invalid', 'until must be after from', 'until');
    }
    yield* execute(
      this.db
        .updateTable('terminal_leases')
        .set({ lease_until: lease.from })
        .where('terminal_id', '=', terminalId)
        .where('lease_until', 'is', null),
    );
    yield* execute(
      this.db.insertInto('terminal_leases').values({
        terminal_id: terminalId,
        tenant_id: lease.tenantId,
        site_id: lease.siteId,
        lease_from: lease.from,
        lease_until: lease.until,
        created_at: this.iso(),
      }),
    );
    yield* execute(
      this.db
        .updateTable('terminals')
        .set((eb) => ({
          tenant_id: lease.tenantId,
          site_id: lease.siteId,
          lease_from: lease.from,
          lease_until: lease.until,
          // The settings stay with the same tenant; a new tenant starts from the defaults.
          config: eb
            .case()
            .when('tenant_id', 'is not distinct from', lease.tenantId)
            .then(eb.ref('config'))
            .else(null)
            .end(),
        }))
        .where('terminal_id', '=', terminalId),
    );
    yield* bumpTerminalConfig(this.engine, terminalId);
    yield* this.bumpRoster(lease.siteId);
    return { previousTenantId: current.tenant_id };
  }

  /** Ends the lease: the terminal keeps its credentials but belongs to no tenant and sends nowhere. */
  endLease(terminalId: TerminalId): Answer<E, void> {
    const self = this;
    const now = this.iso();
    return this.transaction(function* () {
      yield* mustChange(
        self.db
          .updateTable('terminals')
          .set({ tenant_id: null, site_id: null, lease_until: now, config: null })
          .where('terminal_id', '=', terminalId),
        () => new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId'),
      );
      yield* execute(
        self.db
          .updateTable('terminal_leases')
          .set({ lease_until: now })
          .where('terminal_id', '=', terminalId)
          .where('lease_until', 'is', null),
      );
      yield* bumpTerminalConfig(self.engine, terminalId);
    });
  }

  /** Every terminal's broker account, for an external broker's password file. */
  brokerAccounts(): Answer<E, { username: string; hash: string }[]> {
    return this.run(
      mapRows(
        this.db
          .selectFrom('terminals')
          .select(['terminal_id', 'broker_hash'])
          .where('broker_hash', 'is not', null)
          .orderBy('terminal_id'),
        (row) => ({ username: row.terminal_id as string, hash: row.broker_hash as string }),
      ),
    );
  }

  terminalSecretMatches(terminalId: string, secret: string): Answer<E, boolean> {
    const query = this.db.selectFrom('terminals').select('secret_hash').where('terminal_id', '=', terminalId);
    return this.run(
      (function* () {
        const row = yield* firstRow(query);
        return row !== undefined && secretMatches(secret, row.secret_hash);
      })(),
    );
  }

  /** Whether the terminal's hardware profile reads the 建キャリ QR code (its roster then carries cardless workers). */
  readsQrCodes(terminalId: TerminalId): Answer<E, boolean> {
    const query = this.db.selectFrom('terminals').select('hardware_profile').where('terminal_id', '=', terminalId);
    return this.run(
      (function* () {
        const row = yield* firstRow(query);
        return (QR_HARDWARE_PROFILES as readonly (string | null)[]).includes(row?.hardware_profile ?? null);
      })(),
    );
  }

  /** Where the terminal's taps belong (terminal-assignment.ts); null for one not registered. */
  terminal(terminalId: TerminalId): Answer<E, TerminalAssignment | null> {
    return this.run(terminalAssignment(this.engine, terminalId));
  }

  terminalsAtSite(siteId: string): Answer<E, TerminalId[]> {
    return this.run(this.terminalsAtSiteWork(siteId));
  }

  allTerminals(): Answer<E, TerminalId[]> {
    return this.run(
      mapRows(
        this.db.selectFrom('terminals').select('terminal_id').orderBy('terminal_id'),
        (row) => row.terminal_id as TerminalId,
      ),
    );
  }

  setTerminalStatus(terminalId: TerminalId, status: unknown): Answer<E, number> {
    return this.run(
      execute(
        this.db
          .updateTable('terminals')
          .set({ status: JSON.stringify(status), status_at: this.iso() })
          .where('terminal_id', '=', terminalId),
      ),
    );
  }

  /** The terminals leased to the tenant; the operator (no scope) sees the whole fleet. */
  terminals(scope: TenantScope | null): Answer<E, TerminalView[]> {
    let query = this.db.selectFrom('terminals').selectAll().orderBy('terminal_id');
    if (scope !== null) query = query.where('tenant_id', '=', scope.tenantId);
    return this.run(
      (function* () {
        return (yield* mapRows(query, (row) => row as TerminalRow))
          .filter((row) => scope === null || row.site_id === null || withinSites(scope, row.site_id))
          .map((row) => terminalFromRow(row, scope));
      })(),
    );
  }

  terminalView(scope: TenantScope | null, terminalId: string): Answer<E, TerminalView> {
    return this.run(this.#terminalView(scope, terminalId));
  }

  *#terminalView(scope: TenantScope | null, terminalId: string): Work<TerminalView> {
    const row = (yield* firstRow(this.db.selectFrom('terminals').selectAll().where('terminal_id', '=', terminalId))) as
      | TerminalRow
      | undefined;
    const outside =
      scope !== null &&
      (row?.tenant_id !== scope.tenantId || (row.site_id !== null && !withinSites(scope, row.site_id)));
    if (row === undefined || outside) {
      throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    }
    return terminalFromRow(row, scope);
  }

  setTerminalSettings(scope: TenantScope, terminalId: TerminalId, settings: TerminalSettings): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      yield* self.#terminalView(scope, terminalId);
      yield* execute(
        self.db
          .updateTable('terminals')
          .set({ config: JSON.stringify(settings) })
          .where('terminal_id', '=', terminalId),
      );
      yield* bumpTerminalConfig(self.engine, terminalId);
    });
  }

  /** The config a terminal runs by, or null while it is not leased to a site. */
  configFor(terminalId: TerminalId): Answer<E, TerminalConfig | null> {
    const query = this.db
      .selectFrom('terminals as t')
      .innerJoin('sites as s', 's.site_id', 't.site_id')
      .leftJoin('terminal_updates as u', 'u.terminal_id', 't.terminal_id')
      .leftJoin('releases as r', 'r.version', 'u.version')
      .select([
        't.config',
        't.config_version',
        's.site_id',
        's.time_zone',
        's.day_boundary',
        's.max_shift_hours',
        's.language',
        'r.version as update_version',
        'u.url as update_url',
        'r.sha256 as update_sha256',
        'r.size as update_size',
        'r.signature as update_signature',
      ])
      .where('t.terminal_id', '=', terminalId);
    return this.run(
      mapFirst(query, (row): TerminalConfig => {
        const settings = row.config === null ? DEFAULT_TERMINAL_SETTINGS : (JSON.parse(row.config) as TerminalSettings);
        return {
          v: 1,
          version: Math.max(1, row.config_version),
          siteId: row.site_id as SiteId,
          timeZone: row.time_zone,
          dayBoundary: row.day_boundary,
          ...settings,
          maxShiftHours: row.max_shift_hours,
          language: row.language as GateLanguage,
          // A release a rollout offers this terminal (updates/).
          ...(row.update_version == null
            ? {}
            : {
                update: {
                  version: row.update_version,
                  url: row.update_url as string,
                  sha256: row.update_sha256 as string,
                  size: row.update_size as number,
                  signature: row.update_signature as string,
                },
              }),
        };
      }),
    );
  }
}

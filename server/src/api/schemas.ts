import {
  CARD_CHIP_TECHS,
  CompanyIdSchema,
  DayBoundarySchema,
  DEFAULT_MAX_SHIFT_HOURS,
  DIRECTION_MODES,
  GATE_LANGUAGES,
  HARDWARE_PROFILES,
  LIMITS,
  MAX_SHIFT_HOURS_LIMIT,
  SiteIdSchema,
  TerminalIdSchema,
  TimeZoneSchema,
  WallTimeSchema,
  WorkerIdSchema,
} from '@ccus-gate/protocol';
import { z } from '@hono/zod-openapi';
import { POSITIONS } from '../store/directory-store.js';

/** Request and response shapes of the HTTP API: they validate requests and write the OpenAPI document. */

const text = (max: number) => z.string().trim().min(1).max(max);
export const ReasonSchema = text(500).openapi({ description: 'why: kept in the audit trail' });
const DaySchema = z.iso.date({ error: 'must be a date as YYYY-MM-DD' });
const MonthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');
const Position = z.enum(POSITIONS).nullable().openapi({
  description:
    '立場: 職長 foreman, 班長 leader, 安全衛生責任者 safety_manager, 主任技術者 chief_engineer, 監理技術者 supervising_engineer, 現場代理人 site_agent; null for none',
});
const MaxShiftHours = z.int().min(1).max(MAX_SHIFT_HOURS_LIMIT).openapi({
  description: 'how long a shift may run past the day boundary and still be closed by an exit',
});
const Trade = text(100).openapi({ description: '職種, as registered in CCUS' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    field: z.string().optional(),
  })
  .openapi('Problem');

export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

/** Lists read whole by the dashboard (a roster, the terminals): the same paging, 1000 by default. */
export const ListPaging = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export const TenantBody = z
  .strictObject({
    tenantId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2 to 40 lower-case letters, digits or hyphens'),
    companyId: CompanyIdSchema,
    name: text(200),
  })
  .openapi('NewTenant');

export const TokenBody = z.strictObject({ role: z.enum(['admin', 'viewer']), label: text(100) }).openapi('NewToken');

export const UserBody = z
  .strictObject({
    login: z
      .string()
      .min(3)
      .max(64)
      .regex(/^[A-Za-z0-9._@+-]+$/, 'use letters, digits and . _ @ + - only'),
    name: text(100),
    role: z.enum(['admin', 'viewer']),
    password: z.string().min(10, 'must be at least 10 characters').max(200),
  })
  .openapi('NewUser');

/** A tenant's new user, who may be limited to some of its sites from the start. */
export const TenantUserBody = UserBody.extend({
  sites: z.array(SiteIdSchema).min(1, 'name at least one site, or leave sites out for every site').max(1000).optional(),
}).openapi('NewTenantUser');

export const SiteBody = z
  .strictObject({
    siteId: SiteIdSchema,
    name: text(200),
    timeZone: TimeZoneSchema.default('Asia/Tokyo'),
    dayBoundary: DayBoundarySchema.default('04:00'),
    maxShiftHours: MaxShiftHours.default(DEFAULT_MAX_SHIFT_HOURS),
    language: z.enum(GATE_LANGUAGES).default('ja').openapi({ description: "the gate display's language" }),
  })
  .openapi('NewSite');

export const SitePatch = z
  .strictObject({
    name: text(200).optional(),
    timeZone: TimeZoneSchema.optional(),
    dayBoundary: DayBoundarySchema.optional(),
    maxShiftHours: MaxShiftHours.optional(),
    language: z.enum(GATE_LANGUAGES).optional(),
  })
  .refine((patch) => (patch.timeZone === undefined) === (patch.dayBoundary === undefined), {
    message: 'timeZone and dayBoundary change together',
    path: ['dayBoundary'],
  })
  .openapi('SiteChange');

export const SiteCompanyBody = z
  .strictObject({ name: text(200), tier: z.number().int().min(1).max(10), parentCompanyId: CompanyIdSchema })
  .openapi('SiteCompany');

export const RosterBody = z
  .strictObject({
    trade: Trade.nullable().optional(),
    position: Position.optional(),
    workContent: text(200).nullable().optional(),
    periodFrom: DaySchema.nullable().optional(),
    periodUntil: DaySchema.nullable().optional(),
  })
  .openapi('RosterPlace');

export const RosterLoadBody = z
  .strictObject({
    entries: z.array(RosterBody.extend({ workerId: WorkerIdSchema })).max(LIMITS.rosterEntries),
    /** Remove the caller's own places that are not listed (an import of the whole roster). */
    removeUnlisted: z.boolean().default(false),
  })
  .openapi('RosterLoad');

/** What a worker is, besides the ID: a new worker gives these, a change any of them. */
const WorkerFields = {
  name: text(100),
  employerCompanyId: CompanyIdSchema.optional(),
  trades: z.array(Trade).max(4, 'a worker is registered for at most four trades').optional(),
  trade: Trade.nullable().optional().openapi({ description: 'one trade; `trades` gives several' }),
  position: Position.optional(),
};

/**
 * A worker registered here has the ID CCUS gave them on their card: 14 digits. (Shorter IDs
 * stay readable where they were stored before, and on the wire.)
 */
const NewWorkerId = z
  .string()
  .regex(/^[0-9]{14}$/, 'must be the 14-digit CCUS worker ID (技能者ID) printed on the card');

export const WorkerBody = z.strictObject({ workerId: NewWorkerId, ...WorkerFields }).openapi('NewWorker');

export const WorkerImportBody = z
  .strictObject({
    /** Rows as in workers/worker-import.ts: workerId, name, trades, employerCompanyId; each checked on its own. */
    workers: z.array(z.unknown()).max(25_000, 'an import takes at most 25,000 workers'),
    /** false (the default): only say what would change. true: write it, all or nothing. */
    apply: z.boolean().default(false),
  })
  .openapi('WorkerImport');

export const EnrolBody = z
  .strictObject({
    terminalId: TerminalIdSchema,
    /** How long the request waits for the tap. */
    seconds: z.int().min(10).max(600).default(120),
  })
  .openapi('Enrolment');

export const WorkerPatch = z.strictObject(WorkerFields).partial().openapi('WorkerChange');

export const CardBody = z
  .strictObject({
    card: z.string().min(1).max(64).openapi({ description: 'FeliCa IDm or MIFARE UID in hex; separators allowed' }),
    tech: z.enum(CARD_CHIP_TECHS).optional(),
    reason: ReasonSchema.optional(),
  })
  .openapi('CardBinding');

export const TerminalSettingsBody = z
  .strictObject({
    directionMode: z.enum(DIRECTION_MODES),
    debounceSeconds: z.number().int().min(0).max(3600),
    unknownCard: z.enum(['accept', 'refuse']),
    retentionDays: z.number().int().min(1).max(3650),
  })
  .openapi('TerminalSettings');

export const CommandBody = z
  .strictObject({ command: z.enum(['selftest', 'resync_roster', 'report_status']) })
  .openapi('Command');

export const NewTerminalBody = z
  .strictObject({
    terminalId: TerminalIdSchema,
    /** What the terminal is built as; required, so a gate is never silently simulated. */
    hardwareProfile: z.enum(HARDWARE_PROFILES, {
      error: `must be the terminal's hardware profile: one of ${HARDWARE_PROFILES.join(', ')} (simulated for demos and tests only)`,
    }),
  })
  .openapi('NewTerminal');

export const LeaseBody = z
  .strictObject({
    tenantId: z.string().min(1).max(40),
    siteId: SiteIdSchema,
    from: WallTimeSchema.optional(),
    until: WallTimeSchema.nullable().optional(),
  })
  .openapi('Lease');

const TimesFields = {
  siteId: SiteIdSchema,
  workerId: WorkerIdSchema,
  workingDay: DaySchema,
  reason: ReasonSchema,
};

export const CorrectionBody = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('add_day'),
      ...TimesFields,
      firstIn: WallTimeSchema,
      lastOut: WallTimeSchema.nullable().default(null),
    }),
    z.strictObject({
      kind: z.literal('set_times'),
      ...TimesFields,
      firstIn: WallTimeSchema.nullable().default(null),
      lastOut: WallTimeSchema.nullable().default(null),
    }),
    z.strictObject({ kind: z.literal('confirm_clock'), ...TimesFields }),
    z.strictObject({
      kind: z.literal('set_trade'),
      ...TimesFields,
      trade: Trade.nullable(),
      position: Position.default(null),
    }),
    z.strictObject({
      kind: z.literal('void_tap'),
      terminalId: TerminalIdSchema,
      seq: z.int().min(1),
      reason: ReasonSchema,
    }),
    z.strictObject({
      kind: z.literal('set_tap_time'),
      terminalId: TerminalIdSchema,
      seq: z.int().min(1),
      // When the tap really was; its boot's other untrusted taps move with it.
      at: WallTimeSchema,
      reason: ReasonSchema,
    }),
  ])
  .openapi('NewCorrection');

export const DecisionBody = z.strictObject({ reason: ReasonSchema.optional() }).openapi('Decision');
export const RejectionBody = z.strictObject({ reason: ReasonSchema }).openapi('Rejection');

export const RecordQuery = Paging.extend({
  siteId: SiteIdSchema.optional(),
  month: MonthSchema.optional(),
  from: DaySchema.optional(),
  to: DaySchema.optional(),
  workerId: WorkerIdSchema.optional(),
  state: z.enum(['held', 'pending', 'sending', 'accepted', 'refused', 'retrying']).optional(),
});

export const TapQuery = Paging.extend({
  siteId: SiteIdSchema.optional(),
  from: DaySchema.optional(),
  to: DaySchema.optional(),
});

export const SiteQuery = ListPaging.extend({ siteId: SiteIdSchema.optional() });

export const AtRiskQuery = z.object({
  siteId: SiteIdSchema.optional(),
  withinDays: z.coerce.number().int().min(0).max(62).default(7),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const AuditQuery = Paging.extend({
  action: z
    .string()
    .regex(/^[a-z_]{1,40}$/, 'must be an action as listed, e.g. bind_card')
    .optional(),
  from: DaySchema.optional(),
  to: DaySchema.optional(),
  /** Found in who did it, what it was done to, or why. */
  text: z.string().trim().min(1).max(100).optional(),
});

export const CorrectionQuery = Paging.extend({
  siteId: SiteIdSchema.optional(),
  state: z.enum(['applied', 'awaiting_approval', 'rejected']).optional(),
});

export const ExportQuery = z.object({
  month: MonthSchema,
  siteId: SiteIdSchema.optional(),
  companyId: CompanyIdSchema.optional(),
  /** windows-31j is what Excel on Japanese Windows calls Shift_JIS; shift_jis is taken as the same. */
  encoding: z
    .enum(['utf-8', 'windows-31j', 'shift_jis'])
    .default('utf-8')
    .transform((encoding) => (encoding === 'shift_jis' ? 'windows-31j' : encoding)),
  /** The records CSV's column names: English (default) or Japanese. */
  headers: z.enum(['en', 'ja']).default('en'),
});

export const SiteParam = z.object({ siteId: SiteIdSchema });
export const WorkerParam = z.object({ workerId: WorkerIdSchema });
export const TerminalParam = z.object({ terminalId: TerminalIdSchema });
export const TenantParam = z.object({ tenantId: z.string().min(1).max(40) });
export const RecordParam = z.object({ siteId: SiteIdSchema, workerId: WorkerIdSchema, workingDay: DaySchema });
export const TokenParam = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'must be a token id: 16 hex digits') });
export const TenantTokenParam = TenantParam.extend(TokenParam.shape);
export const PasswordBody = z
  .strictObject({ password: z.string().min(10, 'must be at least 10 characters').max(200) })
  .openapi('NewPassword');

export const UserSitesBody = z
  .strictObject({
    sites: z.array(SiteIdSchema).min(1, 'name at least one site, or null for every site').max(1000).nullable(),
  })
  .openapi('UserSites');
export const UserParam = z.object({ userId: z.string().regex(/^u_[A-Za-z0-9_-]{12}$/, 'is a user id as listed') });
export const IdParam = z.object({ id: z.coerce.number().int().min(1) });
export const CardParam = z.object({ tech: z.enum(CARD_CHIP_TECHS), id: z.string().min(1).max(64) });
export const SiteCompanyParam = z.object({ siteId: SiteIdSchema, companyId: CompanyIdSchema });
export const RosterParam = z.object({ siteId: SiteIdSchema, workerId: WorkerIdSchema });

export const CcusRosterImportBody = z
  .strictObject({
    digest: z.string().min(1).max(64).openapi({ description: 'the `digest` of the preview being confirmed' }),
  })
  .openapi('CcusRosterImport');

export const CcusRegistrationBody = z
  .strictObject({
    workerIds: z
      .array(NewWorkerId)
      .min(1)
      .max(50_000)
      .optional()
      .openapi({ description: 'only these workers; absent: every place on the roster the caller sees' }),
  })
  .openapi('CcusRegistration');

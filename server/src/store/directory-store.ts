import type { StoreEngine } from './engine/store-engine.js';
import { TerminalBooks } from './terminal-books.js';

export type { ApiTokenInfo, Role, Tenant, TokenOwner } from './account-books.js';
export type { Site, SiteAccess, SiteCompany } from './site-books.js';
export type { RosterEntry, RosterLoad, RosterPlace } from './site-rosters.js';
export type { TerminalAssignment } from './terminal-assignment.js';
export {
  DEFAULT_TERMINAL_SETTINGS,
  type Lease,
  type TerminalSettings,
  type TerminalView,
} from './terminal-books.js';
export type { SignedIn, User } from './user-books.js';
export { POSITIONS, type Position, type Worker } from './worker-books.js';

/**
 * The directory: tenants and API tokens (account-books.ts), dashboard users and sessions
 * (user-books.ts), sites and their structure (site-books.ts), workers (worker-books.ts) and
 * their cards (worker-cards.ts), site rosters (site-rosters.ts), terminals and leases
 * (terminal-books.ts), each kind in its own file. Tenant-facing reads
 * and writes take a TenantScope and see only what that tenant may see; the operator's calls
 * (tenants, terminals, leases) do not.
 */
export class DirectoryStore<E extends StoreEngine = StoreEngine> extends TerminalBooks<E> {}

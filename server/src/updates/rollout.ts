import { createHash } from 'node:crypto';
import type { UpdateTarget } from './update-store.js';

/**
 * Which terminals a rollout offers a release to: those named, or a share of the leased fleet.
 * A share picks by a hash of version and terminal, so the same terminals are picked each time
 * for one version (raising the share adds terminals, never swaps them) and another version
 * picks others first. Only leased terminals get a config, so only they can be offered one.
 */
export function chooseTerminals(
  fleet: readonly { terminalId: string; siteId: string | null }[],
  version: string,
  ask: { terminals?: readonly string[]; share?: number },
): { chosen: string[]; notLeased: string[]; unknown: string[] } {
  const leased = new Set(fleet.filter((t) => t.siteId !== null).map((t) => t.terminalId));
  if (ask.terminals !== undefined) {
    const known = new Set(fleet.map((t) => t.terminalId));
    const named = [...new Set(ask.terminals)];
    return {
      chosen: named.filter((id) => leased.has(id)),
      notLeased: named.filter((id) => known.has(id) && !leased.has(id)),
      unknown: named.filter((id) => !known.has(id)),
    };
  }
  const share = ask.share ?? 100;
  const rank = (terminalId: string): number =>
    createHash('sha256').update(`${version}\n${terminalId}`).digest().readUInt32BE(0) / 0x1_0000_0000;
  return {
    chosen: [...leased].filter((terminalId) => rank(terminalId) < share / 100).sort(),
    notLeased: [],
    unknown: [],
  };
}

export const ROLLOUT_STATES = ['offered', 'updating', 'done', 'rolled_back', 'rollback_refused', 'failed'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** Where one terminal is with the release it is offered, from what it last reported. */
export function rolloutState(target: UpdateTarget): { state: RolloutState; firmware: string | null; detail: string } {
  const status = target.status as {
    firmware?: string;
    update?: { version: string; state: string; detail: string } | null;
  } | null;
  const firmware = status?.firmware ?? null;
  const update = status?.update ?? null;
  if (firmware === target.version) return { state: 'done', firmware, detail: update?.detail ?? '' };
  if (update === null || update.version !== target.version) return { state: 'offered', firmware, detail: '' };
  const state: RolloutState = ['rolled_back', 'rollback_refused', 'failed'].includes(update.state)
    ? (update.state as RolloutState)
    : 'updating';
  return { state, firmware, detail: `${update.state}: ${update.detail}` };
}

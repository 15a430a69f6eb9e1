import {
  DEFAULT_MAX_SHIFT_HOURS,
  DEFAULT_WORKING_DAY_RULE,
  type Direction,
  type DirectionMode,
  type TerminalConfig,
} from '@ccus-gate/protocol';
import type { PipelineSettings } from './pipeline/tap-pipeline.js';

export interface TerminalSettings extends PipelineSettings {
  /** Delivered taps are kept this long, then pruned. Pending and rejected taps are never pruned. */
  retentionDays: number;
  /** How far the server's clock may differ from ours and still count as agreeing. */
  clockToleranceMs: number;
  /** How often the terminal checks its clock, prunes, and probes a faulted store. */
  maintenanceIntervalMs: number;
}

export const DEFAULT_SETTINGS: TerminalSettings = {
  directionMode: 'toggle',
  maxShiftMs: DEFAULT_MAX_SHIFT_HOURS * 3_600_000,
  readerDirections: {},
  debounceMs: 10_000,
  unknownCard: 'accept',
  workingDay: DEFAULT_WORKING_DAY_RULE,
  retentionDays: 90,
  clockToleranceMs: 2_000,
  maintenanceIntervalMs: 60_000,
};

/** The settings a config from the server sets, over the ones in force. */
export function settingsFromConfig(config: TerminalConfig, current: TerminalSettings): TerminalSettings {
  const directionMode: DirectionMode = config.directionMode;
  const readerDirections: Record<string, Direction> =
    directionMode === 'two-reader' && Object.keys(current.readerDirections).length === 0
      ? { in: 'in', out: 'out' }
      : current.readerDirections;
  return {
    ...current,
    directionMode,
    maxShiftMs: config.maxShiftHours * 3_600_000,
    readerDirections,
    debounceMs: config.debounceSeconds * 1000,
    unknownCard: config.unknownCard,
    workingDay: { timeZone: config.timeZone, dayBoundary: config.dayBoundary },
    retentionDays: config.retentionDays,
  };
}

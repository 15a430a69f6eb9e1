import type { Health } from '@ccus-gate/protocol';

export type HealthWarning =
  | 'hot'
  | 'under_voltage'
  | 'throttled'
  | 'disk_low'
  | 'few_days_left'
  | 'memory_low'
  | 'reader_errors'
  | 'outputs_unavailable';

/**
 * Where a terminal's health needs a technician (server/README.md, "Terminal health"):
 * - hot: the SoC at 80 °C or more (a Pi slows itself at 80 and more at 85): shade, a case with a fan;
 * - under_voltage: now or since boot: the power supply or its cable is too weak;
 * - throttled: the firmware slows the CPU now;
 * - disk_low: under 10% or 512 MiB free;
 * - few_days_left: under 14 days of taps fit offline at this gate's rate;
 * - memory_low: under 64 MiB available;
 * - reader_errors: the reader failed since the terminal started (cable, antenna, a card held badly);
 * - outputs_unavailable: the lights, buzzer or relay would not open at start: taps are taken
 *   without feedback (the light board's cable, the hardware profile's pins).
 */
export const HEALTH_LIMITS = {
  hotC: 80,
  diskFreeShare: 0.1,
  diskFreeBytes: 512 * 1024 * 1024,
  daysOfTaps: 14,
  memoryAvailableBytes: 64 * 1024 * 1024,
} as const;

export function healthWarnings(health: Health | undefined): HealthWarning[] {
  if (health === undefined) return [];
  const warnings: HealthWarning[] = [];
  if (health.cpuTempC !== null && health.cpuTempC >= HEALTH_LIMITS.hotC) warnings.push('hot');
  if (health.throttled?.underVoltage || health.throttled?.underVoltageSinceBoot) warnings.push('under_voltage');
  if (health.throttled?.throttled) warnings.push('throttled');
  if (
    health.diskFreeBytes !== null &&
    (health.diskFreeBytes < HEALTH_LIMITS.diskFreeBytes ||
      (health.diskTotalBytes !== null && health.diskFreeBytes < health.diskTotalBytes * HEALTH_LIMITS.diskFreeShare))
  ) {
    warnings.push('disk_low');
  }
  if (health.daysOfTapsLeft !== null && health.daysOfTapsLeft < HEALTH_LIMITS.daysOfTaps)
    warnings.push('few_days_left');
  if (health.memoryAvailableBytes !== null && health.memoryAvailableBytes < HEALTH_LIMITS.memoryAvailableBytes) {
    warnings.push('memory_low');
  }
  if (health.readerErrors > 0) warnings.push('reader_errors');
  if (typeof health.outputsFault === 'string') warnings.push('outputs_unavailable');
  return warnings;
}

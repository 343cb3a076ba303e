/**
 * Polled GPU signals and the conditions they make. Pure: no I/O.
 *
 * @module
 */

/** Clock event (throttle) reason bits (`nvmlClocksEventReason*`). */
export const ClockReason = {
  GpuIdle: 0x1n,
  ApplicationsClocksSetting: 0x2n,
  SwPowerCap: 0x4n,
  HwSlowdown: 0x8n,
  SyncBoost: 0x10n,
  SwThermalSlowdown: 0x20n,
  HwThermalSlowdown: 0x40n,
  HwPowerBrakeSlowdown: 0x80n,
  DisplayClockSetting: 0x100n,
} as const;

/**
 * Names of the reasons in a clock event reason mask, for messages.
 *
 * @param mask The bits from `nvmlDeviceGetCurrentClocksEventReasons`.
 */
export function clockReasonNames(mask: bigint): string[] {
  return Object.entries(ClockReason).filter(([, bit]) => (mask & bit) !== 0n).map(([n]) => n);
}

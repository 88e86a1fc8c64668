/**
 * Clock-event ("throttle") reason bits of the `clock_events` metric: DCGM field 112, NVML nvmlClocksEventReason*
 * Agents report them, the simulator sets them, detectors read them.
 */
export const ClockEvent = {
  GPU_IDLE: 0x001,
  CLOCKS_SETTING: 0x002,
  SW_POWER_CAP: 0x004,
  HW_SLOWDOWN: 0x008,
  SYNC_BOOST: 0x010,
  SW_THERMAL: 0x020,
  HW_THERMAL: 0x040,
  HW_POWER_BRAKE: 0x080,
} as const;

/** Bits that mean temperature holds the clocks down. */
export const THERMAL_CLOCK_EVENTS = ClockEvent.SW_THERMAL | ClockEvent.HW_THERMAL;

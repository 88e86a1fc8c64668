/**
 * The GB300 (Blackwell Ultra, liquid-cooled NVL72) figures the model is built on. The power and coolant numbers are
 * third-party or inferred, not NVIDIA's, so these are plausible operating points, not a spec.
 */

/** Enforced power limit per GPU (W). */
export const POWER_LIMIT_W = 1400;
/** Idle draw range across GPUs (W). */
export const IDLE_POWER_W: readonly [number, number] = [160, 230];
/** Dynamic power at full load and full clock (W), before per-GPU spread; a training load (~0.78) draws ~1000–1300 W. */
export const DYNAMIC_POWER_W = 1200;
/** Per-GPU spread of dynamic power (silicon lottery), as a fraction. */
export const DYNAMIC_POWER_SPREAD = 0.04;
/** The limiter holds power at this fraction of the limit and raises SW_POWER_CAP. */
export const POWER_CAP_FRACTION = 0.98;

/** Boost SM clock range across GPUs under load (MHz), and the idle clock. */
export const BOOST_CLOCK_MHZ: readonly [number, number] = [1920, 1995];
export const IDLE_CLOCK_MHZ = 420;
/** HBM3e memory clock (MHz); it does not scale with load. */
export const MEM_CLOCK_MHZ = 3996;

/** Framebuffer: 288 GB HBM3e, less what the driver reserves (MiB). */
export const FB_TOTAL_MIB = 288 * 1024 - 1024;
/** Framebuffer used with no job (driver contexts) (MiB). */
export const FB_IDLE_USED_MIB = 560;

/** Thresholds: slowdown ~87 °C and HBM max operating ~95 °C, ±1 °C per GPU. */
export const SLOWDOWN_TEMP_C = 87;
export const MEM_MAX_TEMP_C = 95;
export const THRESHOLD_SPREAD_C = 1;
/** Software thermal control starts this far below the slowdown threshold (the GPU max operating temperature). */
export const SW_THERMAL_MARGIN_C = 2;

/** Coolant inlet temperature range across racks (°C): a warm-water secondary loop. */
export const COOLANT_INLET_C: readonly [number, number] = [24, 30];
/** Die-to-coolant thermal resistance range across GPUs (°C/W): ~1150 W puts a die 35–40 °C above the inlet. */
export const THERMAL_RESISTANCE_C_PER_W: readonly [number, number] = [0.03, 0.034];
/** HBM runs a few degrees above the die, more when the memory is busy (°C, and °C per unit dram_active). */
export const HBM_OFFSET_C: readonly [number, number] = [1.5, 3];
export const HBM_DRAM_HEATING_C = 5;
/** First-order thermal time constants (s) of the die and the HBM stacks on a cold plate. */
export const DIE_TIME_CONSTANT_S = 25;
export const HBM_TIME_CONSTANT_S = 40;

/** NVLink traffic per GPU at full training load, range across jobs (bytes/s): part of NVLink5's 1.8 TB/s. */
export const NVLINK_RATE_BPS: readonly [number, number] = [3e11, 6e11];

/** Time since the driver was loaded at the start of a run, range (s): sets the initial energy and NVLink counters. */
export const UPTIME_S: readonly [number, number] = [86_400, 20 * 86_400];
/** Mean power and NVLink rate over that uptime, for the initial counters (low NVLink use keeps the counter under
 *  2^53, an exact integer, for hours of training). */
export const UPTIME_MEAN_POWER_W = 850;
export const UPTIME_MEAN_NVLINK_BPS = 4e9;

/** Share of GPUs with a slowly rising single-bit ECC count, and their rate range (errors per hour). */
export const SBE_GPU_SHARE = 0.01;
export const SBE_RATE_PER_HOUR: readonly [number, number] = [0.5, 4];
/** Share of GPUs with a few PCIe replays from before the run. */
export const PCIE_REPLAY_GPU_SHARE = 0.02;

/** A GB300 module (superchip) is one Grace CPU and two of the tray's GPUs; its power limit (W), and the Grace CPU's
 *  draw range across modules (W). Two GPUs at ~1150 W and the CPU stay under the limit in training. */
export const MODULE_POWER_LIMIT_W = 2900;
export const GRACE_POWER_W: readonly [number, number] = [180, 260];
/** GPUs per module. */
export const GPUS_PER_MODULE = 2;
/** fabric_state codes the model reports: in progress (no compute domain, or stuck) and completed. */
export const FABRIC_IN_PROGRESS = 2;
export const FABRIC_COMPLETED = 3;

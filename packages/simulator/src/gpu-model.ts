import { METRIC_COUNT, METRIC_ID } from '@kiln/wire';
import { ClockEvent } from '@kiln/wire';
import type { FaultEffects, FaultEventSink } from './fault-effects.js';
import * as hw from './gb300.js';
import { JobPhase, type Jobs } from './jobs.js';
import { Rng } from './rng.js';
import { GPUS_PER_RACK, type Topology } from './topology.js';

// Column of each metric in a frame row (the wire catalog's dense metric ids).
const TEMP = METRIC_ID.temp_c;
const MEM_TEMP = METRIC_ID.mem_temp_c;
const SLOWDOWN_TEMP = METRIC_ID.slowdown_temp_c;
const MEM_MAX_TEMP = METRIC_ID.mem_max_temp_c;
const POWER = METRIC_ID.power_w;
const POWER_LIMIT = METRIC_ID.power_limit_w;
const ENERGY = METRIC_ID.energy_j;
const UTIL = METRIC_ID.util_pct;
const MEM_UTIL = METRIC_ID.mem_util_pct;
const SM_ACTIVE = METRIC_ID.sm_active;
const TENSOR_ACTIVE = METRIC_ID.tensor_active;
const DRAM_ACTIVE = METRIC_ID.dram_active;
const SM_CLOCK = METRIC_ID.sm_clock_mhz;
const MEM_CLOCK = METRIC_ID.mem_clock_mhz;
const FB_USED = METRIC_ID.fb_used_mib;
const FB_FREE = METRIC_ID.fb_free_mib;
const CLOCK_EVENTS = METRIC_ID.clock_events;
const XID = METRIC_ID.xid;
const ECC_SBE = METRIC_ID.ecc_sbe_vol;
const ECC_DBE = METRIC_ID.ecc_dbe_vol;
const REMAPPED_ROWS = METRIC_ID.remapped_rows_unc;
const ROW_REMAP_FAILURE = METRIC_ID.row_remap_failure;
const PCIE_REPLAY = METRIC_ID.pcie_replay;
const NVLINK_BYTES = METRIC_ID.nvlink_bytes;
const TEMP_MARGIN = METRIC_ID.temp_margin_c;
const MODULE_POWER = METRIC_ID.module_power_w;
const MODULE_POWER_LIMIT = METRIC_ID.module_power_limit_w;
const LINKS_INACTIVE = METRIC_ID.nvlink_links_inactive;
const NVLINK_CRC = METRIC_ID.nvlink_crc_errors;
const NVLINK_REPLAY = METRIC_ID.nvlink_replay_errors;
const NVLINK_RECOVERY = METRIC_ID.nvlink_recovery_errors;
const FABRIC_STATE = METRIC_ID.fabric_state;
const FABRIC_STATUS = METRIC_ID.fabric_status;
const FABRIC_CLIQUE = METRIC_ID.fabric_clique;

/** How much each activity draws: SM work dominates, tensor pipes and HBM traffic add to it. */
const LOAD_SM = 0.6;
const LOAD_TENSOR = 0.3;
const LOAD_DRAM = 0.1;

/** Checkpoint: kernels stall on I/O; a trickle of SM work, device-to-host copies keep HBM somewhat busy. */
const CHECKPOINT_BUSY = 0.1;
const CHECKPOINT_SM_SHARE = 0.4;
const CHECKPOINT_TENSOR_SHARE = 0.05;
const CHECKPOINT_DRAM = 0.12;
const CHECKPOINT_NVLINK_SHARE = 0.03;
/** A stalled GPU: no kernels, a context still resident. */
const STALL_SM = 0.002;

/** Software thermal control: clocks fall by CAP_GAIN per °C of excess per second, never below MIN_THERMAL_CLOCK,
 *  and recover by CAP_RECOVERY per second once the GPU is CAP_DEADBAND_C under its limit. */
const CAP_GAIN = 0.005;
const CAP_RECOVERY = 0.03;
const CAP_DEADBAND_C = 2;
const MIN_THERMAL_CLOCK = 0.4;
/** Hardware thermal slowdown: at least a 2x clock cut at the slowdown threshold, released 1 °C below it. */
const HW_THERMAL_CLOCK = 0.5;
const HW_THERMAL_RELEASE_C = 1;

/** Measurement noise amplitudes: power (W), temperatures (°C), SM clock (MHz), busy fraction within a job and
 *  across the job's ticks. */
const POWER_NOISE_W = 6;
const TEMP_NOISE_C = 0.45;
const CLOCK_NOISE_MHZ = 4;
const BUSY_NOISE = 0.008;
const JOB_BUSY_JITTER = 0.012;
const FB_SPREAD_MIB = 1200;

/**
 * Per-GPU physics of a GB300 fleet, every quantity in a typed array indexed by dense GPU id. Each step draws exactly
 * five noise values per GPU, whatever the GPU is doing, so a fault on one GPU never shifts another GPU's noise.
 *
 * Per tick: the job phase and faults set the activity; thermal control (from the temperature the GPU had at the
 * start of the interval) sets the clock; activity and clock set the power; power, the rack's coolant inlet and the
 * GPU's thermal resistance set the steady-state temperature, which die and HBM approach with first-order lag;
 * counters integrate power, NVLink traffic and error rates. The readings go to `frame`.
 */
export class GpuModel implements FaultEventSink {
  /** Readings of the latest step: row = GPU, column = wire metric id (row-major, METRIC_COUNT columns). */
  readonly frame: Float64Array;
  // Traits fixed for the run.
  private readonly idleW: Float32Array;
  private readonly dynamicW: Float32Array;
  private readonly boostMHz: Float32Array;
  private readonly thermalResistance: Float32Array;
  private readonly hbmOffsetC: Float32Array;
  private readonly slowdownC: Uint8Array;
  private readonly memMaxC: Uint8Array;
  private readonly fbOffsetMiB: Float32Array;
  private readonly sbePerSecond: Float32Array;
  /** Per module (two GPUs): the Grace CPU's draw. */
  private readonly graceW: Float32Array;
  /** Per rack. */
  private readonly inletC: Float32Array;
  // State.
  private readonly dieC: Float64Array;
  private readonly hbmC: Float64Array;
  private readonly thermalClock: Float32Array;
  private readonly hwThermal: Uint8Array;
  private readonly energyJ: Float64Array;
  private readonly nvlinkBytes: Float64Array;
  private readonly sbeCount: Float64Array;
  private readonly dbeCount: Float64Array;
  private readonly remappedRows: Float64Array;
  private readonly pcieReplays: Float64Array;
  private readonly noise: Rng;
  /** Before the first step the temperatures start at their steady state: the fleet has been running a while. */
  private settled = false;

  constructor(topology: Topology, seed: number) {
    const n = topology.gpuCount;
    const traits = new Rng(seed, 1);
    this.frame = new Float64Array(n * METRIC_COUNT);
    this.idleW = new Float32Array(n);
    this.dynamicW = new Float32Array(n);
    this.boostMHz = new Float32Array(n);
    this.thermalResistance = new Float32Array(n);
    this.hbmOffsetC = new Float32Array(n);
    this.slowdownC = new Uint8Array(n);
    this.memMaxC = new Uint8Array(n);
    this.fbOffsetMiB = new Float32Array(n);
    this.sbePerSecond = new Float32Array(n);
    this.dieC = new Float64Array(n);
    this.hbmC = new Float64Array(n);
    this.thermalClock = new Float32Array(n).fill(1);
    this.hwThermal = new Uint8Array(n);
    this.energyJ = new Float64Array(n);
    this.nvlinkBytes = new Float64Array(n);
    this.sbeCount = new Float64Array(n);
    this.dbeCount = new Float64Array(n);
    this.remappedRows = new Float64Array(n);
    this.pcieReplays = new Float64Array(n);
    for (let g = 0; g < n; g++) {
      this.idleW[g] = traits.range(hw.IDLE_POWER_W[0], hw.IDLE_POWER_W[1]);
      this.dynamicW[g] = hw.DYNAMIC_POWER_W * (1 + hw.DYNAMIC_POWER_SPREAD * traits.noise());
      this.boostMHz[g] = traits.range(hw.BOOST_CLOCK_MHZ[0], hw.BOOST_CLOCK_MHZ[1]);
      this.thermalResistance[g] = traits.range(hw.THERMAL_RESISTANCE_C_PER_W[0], hw.THERMAL_RESISTANCE_C_PER_W[1]);
      this.hbmOffsetC[g] = traits.range(hw.HBM_OFFSET_C[0], hw.HBM_OFFSET_C[1]);
      this.slowdownC[g] = hw.SLOWDOWN_TEMP_C + Math.round(hw.THRESHOLD_SPREAD_C * traits.noise());
      this.memMaxC[g] = hw.MEM_MAX_TEMP_C + Math.round(hw.THRESHOLD_SPREAD_C * traits.noise());
      this.fbOffsetMiB[g] = FB_SPREAD_MIB * traits.noise();
      const uptimeS = traits.range(hw.UPTIME_S[0], hw.UPTIME_S[1]);
      this.energyJ[g] = uptimeS * hw.UPTIME_MEAN_POWER_W;
      this.nvlinkBytes[g] = Math.round(uptimeS * hw.UPTIME_MEAN_NVLINK_BPS);
      if (traits.next() < hw.SBE_GPU_SHARE) {
        this.sbePerSecond[g] = traits.range(hw.SBE_RATE_PER_HOUR[0], hw.SBE_RATE_PER_HOUR[1]) / 3600;
        this.sbeCount[g] = Math.floor(traits.next() * 20);
      }
      if (traits.next() < hw.PCIE_REPLAY_GPU_SHARE) this.pcieReplays[g] = 1 + Math.floor(traits.next() * 20);
    }
    this.inletC = Float32Array.from(topology.racks, () => traits.range(hw.COOLANT_INLET_C[0], hw.COOLANT_INLET_C[1]));
    this.noise = new Rng(seed, 3);
    // A stream of its own, so the GPUs' traits stay what they were before modules were modelled.
    const grace = new Rng(seed, 4);
    this.graceW = Float32Array.from({ length: n / hw.GPUS_PER_MODULE }, () =>
      grace.range(hw.GRACE_POWER_W[0], hw.GRACE_POWER_W[1]),
    );
  }

  addDoubleBitErrors(gpu: number, count: number): void {
    this.dbeCount[gpu]! += count;
    // HBM3e remaps the failing row for each uncorrectable error.
    this.remappedRows[gpu]! += count;
  }

  resetVolatileCounters(first: number, end: number): void {
    this.energyJ.fill(0, first, end);
    this.nvlinkBytes.fill(0, first, end);
    this.sbeCount.fill(0, first, end);
    this.dbeCount.fill(0, first, end);
    this.pcieReplays.fill(0, first, end);
  }

  /** Advances every GPU by `dtS` seconds (the interval since the previous tick) and writes the readings to frame. */
  step(dtS: number, jobs: Jobs, effects: FaultEffects): void {
    const dieLag = this.settled ? 1 - Math.exp(-dtS / hw.DIE_TIME_CONSTANT_S) : 1;
    const hbmLag = this.settled ? 1 - Math.exp(-dtS / hw.HBM_TIME_CONSTANT_S) : 1;
    this.settled = true;
    const powerCapW = hw.POWER_LIMIT_W * hw.POWER_CAP_FRACTION;
    const { frame, noise } = this;
    const { coolingFactor, clockDerate, stalled, xid, idle, linksDown, fabricStuck, sbeStormPerS } = effects;

    for (let rack = 0; rack < this.inletC.length; rack++) {
      const inletC = this.inletC[rack]! + effects.inletRiseC[rack]!;
      const rackEnd = (rack + 1) * GPUS_PER_RACK;
      for (let g = rack * GPUS_PER_RACK; g < rackEnd; g++) {
        const busyNoise = noise.noise();
        const powerNoise = noise.noise();
        const dieNoise = noise.noise();
        const hbmNoise = noise.noise();
        const clockNoise = noise.noise();

        // Activity, from the job's phase (shared by its GPUs) and this GPU's own noise.
        const job = jobs.jobOfGpu[g]!;
        // An idle rack runs nothing: its GPUs are as a job's between runs.
        const phase = idle[g] === 1 ? JobPhase.restart : jobs.phase[job];
        const jitter = jobs.jitter[job]!;
        let busy = 0;
        let sm = 0;
        let tensor = 0;
        let dram = 0;
        let nvlinkShare = 0;
        let fbUsed = jobs.fbShare[job]! * hw.FB_TOTAL_MIB + this.fbOffsetMiB[g]!;
        if (stalled[g] === 1) {
          sm = STALL_SM * (1 + busyNoise);
          dram = STALL_SM * (1 + busyNoise);
        } else if (phase === JobPhase.train) {
          busy = clamp01(jobs.busy[job]! + JOB_BUSY_JITTER * jitter + BUSY_NOISE * busyNoise);
          sm = busy * jobs.smShare[job]!;
          tensor = sm * jobs.tensorShare[job]!;
          dram = busy * jobs.dramShare[job]!;
          nvlinkShare = busy;
        } else if (phase === JobPhase.checkpoint) {
          busy = CHECKPOINT_BUSY * (1 + 0.4 * jitter + 0.1 * busyNoise);
          sm = busy * CHECKPOINT_SM_SHARE;
          tensor = sm * CHECKPOINT_TENSOR_SHARE;
          dram = CHECKPOINT_DRAM * (1 + 0.2 * jitter + 0.1 * busyNoise);
          nvlinkShare = CHECKPOINT_NVLINK_SHARE;
        } else {
          fbUsed = hw.FB_IDLE_USED_MIB + 0.05 * this.fbOffsetMiB[g]!;
        }
        const util = Math.round(busy * 100);
        let events = util === 0 ? ClockEvent.GPU_IDLE : 0;

        // Thermal control, from the temperatures at the start of the interval.
        const slowdownC = this.slowdownC[g]!;
        const excessC = Math.max(
          this.dieC[g]! - (slowdownC - hw.SW_THERMAL_MARGIN_C),
          this.hbmC[g]! - this.memMaxC[g]!,
        );
        let thermalClock = this.thermalClock[g]!;
        if (excessC > 0) thermalClock = Math.max(MIN_THERMAL_CLOCK, thermalClock - CAP_GAIN * excessC * dtS);
        else if (excessC < -CAP_DEADBAND_C) thermalClock = Math.min(1, thermalClock + CAP_RECOVERY * dtS);
        this.thermalClock[g] = thermalClock;
        if (thermalClock < 1) events |= ClockEvent.SW_THERMAL;
        const die = this.dieC[g]!;
        const hwThermal = die >= slowdownC || (this.hwThermal[g] === 1 && die >= slowdownC - HW_THERMAL_RELEASE_C);
        this.hwThermal[g] = hwThermal ? 1 : 0;
        let clock = thermalClock * clockDerate[g]!;
        if (hwThermal) {
          events |= ClockEvent.HW_THERMAL | ClockEvent.HW_SLOWDOWN;
          clock = Math.min(clock, HW_THERMAL_CLOCK);
        }

        // Power: dynamic power scales with clock^1.5 (frequency, and the voltage that goes with it); the limiter holds
        // it under the limit by lowering the clock further.
        const load = LOAD_SM * sm + LOAD_TENSOR * tensor + LOAD_DRAM * dram;
        let dynamicW = this.dynamicW[g]! * load * clock * Math.sqrt(clock);
        const idleW = this.idleW[g]!;
        if (idleW + dynamicW > powerCapW) {
          events |= ClockEvent.SW_POWER_CAP;
          clock *= Math.cbrt(((powerCapW - idleW) / dynamicW) ** 2);
          dynamicW = powerCapW - idleW;
        }
        const powerW = idleW + dynamicW + POWER_NOISE_W * powerNoise;

        // Temperatures: first-order lag towards the steady state set by power and coolant.
        const dieSteadyC = inletC + this.thermalResistance[g]! * coolingFactor[g]! * powerW;
        const hbmSteadyC = dieSteadyC + this.hbmOffsetC[g]! + hw.HBM_DRAM_HEATING_C * dram;
        const dieC = die + (dieSteadyC - die) * dieLag;
        const hbmC = this.hbmC[g]! + (hbmSteadyC - this.hbmC[g]!) * hbmLag;
        this.dieC[g] = dieC;
        this.hbmC[g] = hbmC;

        // Counters.
        const energyJ = this.energyJ[g]! + powerW * dtS;
        this.energyJ[g] = energyJ;
        const nvlinkBytes = this.nvlinkBytes[g]! + Math.round(jobs.nvlinkRate[job]! * nvlinkShare * clock * dtS);
        this.nvlinkBytes[g] = nvlinkBytes;
        const sbe = this.sbeCount[g]! + (this.sbePerSecond[g]! + sbeStormPerS[g]!) * dtS;
        this.sbeCount[g] = sbe;

        const row = g * METRIC_COUNT;
        frame[row + TEMP] = Math.round(dieC + TEMP_NOISE_C * dieNoise);
        frame[row + MEM_TEMP] = Math.round(hbmC + TEMP_NOISE_C * hbmNoise);
        frame[row + SLOWDOWN_TEMP] = slowdownC;
        frame[row + MEM_MAX_TEMP] = this.memMaxC[g]!;
        frame[row + POWER] = Math.round(powerW * 10) / 10;
        frame[row + POWER_LIMIT] = hw.POWER_LIMIT_W;
        frame[row + ENERGY] = Math.round(energyJ * 1000) / 1000;
        frame[row + UTIL] = util;
        frame[row + MEM_UTIL] = Math.round(dram * 85);
        frame[row + SM_ACTIVE] = round3(sm);
        frame[row + TENSOR_ACTIVE] = round3(tensor);
        frame[row + DRAM_ACTIVE] = round3(dram);
        frame[row + SM_CLOCK] =
          util === 0 ? hw.IDLE_CLOCK_MHZ : Math.round(this.boostMHz[g]! * clock + CLOCK_NOISE_MHZ * clockNoise);
        frame[row + MEM_CLOCK] = hw.MEM_CLOCK_MHZ;
        const fbUsedMiB = Math.round(fbUsed);
        frame[row + FB_USED] = fbUsedMiB;
        frame[row + FB_FREE] = hw.FB_TOTAL_MIB - fbUsedMiB;
        frame[row + CLOCK_EVENTS] = events;
        frame[row + XID] = xid[g]!;
        frame[row + ECC_SBE] = Math.floor(sbe);
        frame[row + ECC_DBE] = this.dbeCount[g]!;
        frame[row + REMAPPED_ROWS] = this.remappedRows[g]!;
        frame[row + ROW_REMAP_FAILURE] = 0;
        frame[row + PCIE_REPLAY] = this.pcieReplays[g]!;
        frame[row + NVLINK_BYTES] = nvlinkBytes;
        frame[row + TEMP_MARGIN] = slowdownC - frame[row + TEMP]!;
        frame[row + MODULE_POWER_LIMIT] = hw.MODULE_POWER_LIMIT_W;
        frame[row + LINKS_INACTIVE] = linksDown[g]!;
        frame[row + NVLINK_CRC] = 0;
        frame[row + NVLINK_REPLAY] = 0;
        frame[row + NVLINK_RECOVERY] = 0;
        // The rack's compute domain: fabric completed with the rack's clique, unless the rack has none (idle) or the
        // GPU's fabric is stuck.
        const inDomain = idle[g] === 0 && fabricStuck[g] === 0;
        frame[row + FABRIC_STATE] = inDomain ? hw.FABRIC_COMPLETED : hw.FABRIC_IN_PROGRESS;
        frame[row + FABRIC_STATUS] = 0;
        frame[row + FABRIC_CLIQUE] = inDomain ? rack + 1 : 0;
      }
      // A module draws its two GPUs' power and its Grace CPU's; both GPUs report it.
      for (let g = rack * GPUS_PER_RACK; g < rackEnd; g += hw.GPUS_PER_MODULE) {
        let moduleW = this.graceW[g / hw.GPUS_PER_MODULE]!;
        for (let k = 0; k < hw.GPUS_PER_MODULE; k++) moduleW += frame[(g + k) * METRIC_COUNT + POWER]!;
        for (let k = 0; k < hw.GPUS_PER_MODULE; k++)
          frame[(g + k) * METRIC_COUNT + MODULE_POWER] = Math.round(moduleW * 10) / 10;
      }
    }
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

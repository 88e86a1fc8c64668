import { METRIC_COUNT, METRIC_ID, METRICS } from './catalog.js';
import type { WireGpu, WireMessage } from './message.js';

// Column of each metric in a readings row, hoisted so that the hot loop reads locals.
const TEMP_C = METRIC_ID.temp_c;
const MEM_TEMP_C = METRIC_ID.mem_temp_c;
const SLOWDOWN_TEMP_C = METRIC_ID.slowdown_temp_c;
const MEM_MAX_TEMP_C = METRIC_ID.mem_max_temp_c;
const POWER_W = METRIC_ID.power_w;
const POWER_LIMIT_W = METRIC_ID.power_limit_w;
const ENERGY_J = METRIC_ID.energy_j;
const UTIL_PCT = METRIC_ID.util_pct;
const MEM_UTIL_PCT = METRIC_ID.mem_util_pct;
const SM_ACTIVE = METRIC_ID.sm_active;
const TENSOR_ACTIVE = METRIC_ID.tensor_active;
const DRAM_ACTIVE = METRIC_ID.dram_active;
const SM_CLOCK_MHZ = METRIC_ID.sm_clock_mhz;
const MEM_CLOCK_MHZ = METRIC_ID.mem_clock_mhz;
const FB_USED_MIB = METRIC_ID.fb_used_mib;
const FB_FREE_MIB = METRIC_ID.fb_free_mib;
const CLOCK_EVENTS = METRIC_ID.clock_events;
const XID = METRIC_ID.xid;
const ECC_SBE_VOL = METRIC_ID.ecc_sbe_vol;
const ECC_DBE_VOL = METRIC_ID.ecc_dbe_vol;
const REMAPPED_ROWS_UNC = METRIC_ID.remapped_rows_unc;
const ROW_REMAP_FAILURE = METRIC_ID.row_remap_failure;
const PCIE_REPLAY = METRIC_ID.pcie_replay;
const NVLINK_BYTES = METRIC_ID.nvlink_bytes;
const TEMP_MARGIN_C = METRIC_ID.temp_margin_c;
const MODULE_POWER_W = METRIC_ID.module_power_w;
const MODULE_POWER_LIMIT_W = METRIC_ID.module_power_limit_w;
const NVLINK_LINKS_INACTIVE = METRIC_ID.nvlink_links_inactive;
const NVLINK_CRC_ERRORS = METRIC_ID.nvlink_crc_errors;
const NVLINK_REPLAY_ERRORS = METRIC_ID.nvlink_replay_errors;
const NVLINK_RECOVERY_ERRORS = METRIC_ID.nvlink_recovery_errors;
const FABRIC_STATE = METRIC_ID.fabric_state;
const FABRIC_STATUS = METRIC_ID.fabric_status;
const FABRIC_CLIQUE = METRIC_ID.fabric_clique;

/**
 * Builds one host's wire-v1 messages from columnar readings: per GPU a row of METRIC_COUNT values in catalog order,
 * NaN where a metric was not read (left out of the message). The message and one reading object per GPU slot belong
 * to the writer and are rewritten in place by each begin() … finish() (nothing is allocated per GPU or per metric,
 * which keeps a 100,000-GPU simulated tick at milliseconds): encode or copy the result before the next begin().
 * Every reading has every metric key, in catalog order, so all readings share one object shape.
 */
export class MessageWriter {
  private readonly message: WireMessage;
  private readonly readings: readonly WireGpu[];

  constructor(cluster: string, rack: string, host: string, slots: number) {
    this.readings = Array.from({ length: slots }, (_, gpu) => blankReading(gpu));
    this.message = { v: 1, cluster, rack, host, seq: 0, ts: 0, gpus: [] };
  }

  /** Starts the next message, with no GPU yet. */
  begin(seq: number, ts: number): void {
    this.message.seq = seq;
    this.message.ts = ts;
    this.message.gpus.length = 0;
  }

  /** Adds GPU `slot` with the metrics at `values[row … row + METRIC_COUNT)`. */
  add(slot: number, uuid: string, job: string | undefined, values: ArrayLike<number>, row: number): void {
    const reading = this.readings[slot]!;
    reading.uuid = uuid;
    reading.job = job;
    writeReading(reading, values, row);
    if (anyAbsent(values, row)) leaveOutAbsent(reading, values, row);
    this.message.gpus.push(reading);
  }

  /** The message begun, or undefined when it has no GPU (the wire needs at least one). */
  finish(): WireMessage | undefined {
    return this.message.gpus.length === 0 ? undefined : this.message;
  }
}

/** Whether a row has a metric that was not read (NaN). */
function anyAbsent(f: ArrayLike<number>, row: number): boolean {
  for (let m = 0; m < METRIC_COUNT; m++) if (Number.isNaN(f[row + m])) return true;
  return false;
}

/**
 * Unsets the metrics that were not read (the encoder leaves undefined out). Apart from writeReading, so that where
 * every metric is always read (the simulator) the readings' fields only ever hold numbers and stay unboxed.
 */
function leaveOutAbsent(o: WireGpu, f: ArrayLike<number>, row: number): void {
  for (let m = 0; m < METRIC_COUNT; m++) if (Number.isNaN(f[row + m])) o[METRICS[m]!.name] = undefined;
}

function blankReading(gpu: number): WireGpu {
  return {
    gpu,
    uuid: '',
    job: undefined,
    temp_c: 0,
    mem_temp_c: 0,
    slowdown_temp_c: 0,
    mem_max_temp_c: 0,
    power_w: 0,
    power_limit_w: 0,
    energy_j: 0,
    util_pct: 0,
    mem_util_pct: 0,
    sm_active: 0,
    tensor_active: 0,
    dram_active: 0,
    sm_clock_mhz: 0,
    mem_clock_mhz: 0,
    fb_used_mib: 0,
    fb_free_mib: 0,
    clock_events: 0,
    xid: 0,
    ecc_sbe_vol: 0,
    ecc_dbe_vol: 0,
    remapped_rows_unc: 0,
    row_remap_failure: 0,
    pcie_replay: 0,
    nvlink_bytes: 0,
    temp_margin_c: 0,
    module_power_w: 0,
    module_power_limit_w: 0,
    nvlink_links_inactive: 0,
    nvlink_crc_errors: 0,
    nvlink_replay_errors: 0,
    nvlink_recovery_errors: 0,
    fabric_state: 0,
    fabric_status: 0,
    fabric_clique: 0,
  };
}

function writeReading(o: WireGpu, f: ArrayLike<number>, row: number): void {
  o.temp_c = f[row + TEMP_C]!;
  o.mem_temp_c = f[row + MEM_TEMP_C]!;
  o.slowdown_temp_c = f[row + SLOWDOWN_TEMP_C]!;
  o.mem_max_temp_c = f[row + MEM_MAX_TEMP_C]!;
  o.power_w = f[row + POWER_W]!;
  o.power_limit_w = f[row + POWER_LIMIT_W]!;
  o.energy_j = f[row + ENERGY_J]!;
  o.util_pct = f[row + UTIL_PCT]!;
  o.mem_util_pct = f[row + MEM_UTIL_PCT]!;
  o.sm_active = f[row + SM_ACTIVE]!;
  o.tensor_active = f[row + TENSOR_ACTIVE]!;
  o.dram_active = f[row + DRAM_ACTIVE]!;
  o.sm_clock_mhz = f[row + SM_CLOCK_MHZ]!;
  o.mem_clock_mhz = f[row + MEM_CLOCK_MHZ]!;
  o.fb_used_mib = f[row + FB_USED_MIB]!;
  o.fb_free_mib = f[row + FB_FREE_MIB]!;
  o.clock_events = f[row + CLOCK_EVENTS]!;
  o.xid = f[row + XID]!;
  o.ecc_sbe_vol = f[row + ECC_SBE_VOL]!;
  o.ecc_dbe_vol = f[row + ECC_DBE_VOL]!;
  o.remapped_rows_unc = f[row + REMAPPED_ROWS_UNC]!;
  o.row_remap_failure = f[row + ROW_REMAP_FAILURE]!;
  o.pcie_replay = f[row + PCIE_REPLAY]!;
  o.nvlink_bytes = f[row + NVLINK_BYTES]!;
  o.temp_margin_c = f[row + TEMP_MARGIN_C]!;
  o.module_power_w = f[row + MODULE_POWER_W]!;
  o.module_power_limit_w = f[row + MODULE_POWER_LIMIT_W]!;
  o.nvlink_links_inactive = f[row + NVLINK_LINKS_INACTIVE]!;
  o.nvlink_crc_errors = f[row + NVLINK_CRC_ERRORS]!;
  o.nvlink_replay_errors = f[row + NVLINK_REPLAY_ERRORS]!;
  o.nvlink_recovery_errors = f[row + NVLINK_RECOVERY_ERRORS]!;
  o.fabric_state = f[row + FABRIC_STATE]!;
  o.fabric_status = f[row + FABRIC_STATUS]!;
  o.fabric_clique = f[row + FABRIC_CLIQUE]!;
}

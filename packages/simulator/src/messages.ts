import { METRIC_COUNT, METRIC_ID, type WireGpu, type WireMessage } from '@kiln/wire';
import type { FaultEffects } from './fault-effects.js';
import type { Jobs } from './jobs.js';
import { GPUS_PER_TRAY, type Topology } from './topology.js';

// Column of each metric in a frame row, hoisted so that the hot loop reads locals.
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
 * Turns the model's frame into wire-v1 messages: one per host that is online and has at least one GPU present, its
 * GPUs in index order. `fresh` builds new objects the caller may keep; `shared` rewrites one set of objects owned by
 * the writer in place, which allocates nothing per GPU (a 100,000-GPU tick costs milliseconds instead of hundreds of
 * them) but is valid only until the next call.
 */
export class MessageWriter {
  /** The shared set: one message per host, its readings, and the list of messages present this tick. */
  private readonly hostMessages: readonly WireMessage[];
  private readonly hostReadings: readonly (readonly WireGpu[])[];
  private readonly present: WireMessage[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly jobs: Jobs,
  ) {
    this.hostReadings = topology.hosts.map((_, host) =>
      Array.from({ length: GPUS_PER_TRAY }, (_, index) => this.blankReading(host * GPUS_PER_TRAY + index, index)),
    );
    this.hostMessages = topology.hosts.map((_, host) => this.blankMessage(host, [...this.hostReadings[host]!]));
  }

  fresh(effects: FaultEffects, frame: Float64Array, seq: number, ts: number): WireMessage[] {
    const messages: WireMessage[] = [];
    for (let host = 0; host < this.topology.hostCount; host++) {
      if (effects.offline[host] === 1) continue;
      const gpus: WireGpu[] = [];
      for (let index = 0; index < GPUS_PER_TRAY; index++) {
        const g = host * GPUS_PER_TRAY + index;
        if (effects.missing[g] === 1) continue;
        const reading = this.blankReading(g, index);
        writeReading(reading, frame, g * METRIC_COUNT);
        reading.job = this.jobOf(effects, g);
        gpus.push(reading);
      }
      if (gpus.length === 0) continue;
      const message = this.blankMessage(host, gpus);
      message.seq = seq;
      message.ts = ts + effects.clockAheadMs[host]!;
      messages.push(message);
    }
    return messages;
  }

  shared(effects: FaultEffects, frame: Float64Array, seq: number, ts: number): readonly WireMessage[] {
    const present = this.present;
    present.length = 0;
    for (let host = 0; host < this.topology.hostCount; host++) {
      if (effects.offline[host] === 1) continue;
      const message = this.hostMessages[host]!;
      const readings = this.hostReadings[host]!;
      const gpus = message.gpus;
      gpus.length = 0;
      for (let index = 0; index < GPUS_PER_TRAY; index++) {
        const g = host * GPUS_PER_TRAY + index;
        if (effects.missing[g] === 1) continue;
        const reading = readings[index]!;
        writeReading(reading, frame, g * METRIC_COUNT);
        reading.job = this.jobOf(effects, g);
        gpus.push(reading);
      }
      if (gpus.length === 0) continue;
      message.seq = seq;
      message.ts = ts + effects.clockAheadMs[host]!;
      present.push(message);
    }
    return present;
  }

  /** The GPU's job; none (the field left out, as wire v1 has it) on an idle rack. */
  private jobOf(effects: FaultEffects, g: number): string | undefined {
    return effects.idle[g] === 1 ? undefined : this.jobs.names[this.jobs.jobOfGpu[g]!]!;
  }

  private blankMessage(host: number, gpus: WireGpu[]): WireMessage {
    const { cluster, hosts, racks } = this.topology;
    return { v: 1, cluster, rack: racks[this.topology.rackOfHost(host)]!, host: hosts[host]!, seq: 0, ts: 0, gpus };
  }

  /** A reading with every metric present, in catalog order, so all readings share one object shape. */
  private blankReading(g: number, index: number): WireGpu {
    return {
      gpu: index,
      uuid: this.topology.uuids[g]!,
      job: this.jobs.names[this.jobs.jobOfGpu[g]!]!,
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
}

function writeReading(o: WireGpu, f: Float64Array, row: number): void {
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

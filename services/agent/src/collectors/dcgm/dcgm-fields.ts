import { METRICS } from '@kiln/wire';

/**
 * dcgm-exporter metric names (the DCGM field macro names) of the fields the wire catalog follows, by DCGM field id.
 * DCGM 4.6 renamed several fields and kept the old names as aliases; exporters across a fleet use either, so both
 * spellings are listed. Ids never change.
 */
const EXPORTER_NAMES: Readonly<Record<string, number>> = {
  DCGM_FI_DEV_SM_CLOCK: 100,
  DCGM_FI_DEV_MEM_CLOCK: 101,
  DCGM_FI_DEV_CLOCKS_EVENT_REASONS: 112,
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: 112,
  DCGM_FI_DEV_MEMORY_TEMP: 140,
  DCGM_FI_DEV_GPU_TEMP: 150,
  DCGM_FI_DEV_GPU_TEMP_CELSIUS: 150,
  DCGM_FI_DEV_MEM_MAX_OP_TEMP: 151,
  DCGM_FI_DEV_POWER_USAGE: 155,
  DCGM_FI_DEV_BOARD_POWER_WATTS: 155,
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 156,
  DCGM_FI_DEV_SLOWDOWN_TEMP: 158,
  DCGM_FI_DEV_ENFORCED_POWER_LIMIT: 164,
  DCGM_FI_DEV_PCIE_REPLAY_COUNTER: 202,
  DCGM_FI_DEV_GPU_UTIL: 203,
  DCGM_FI_DEV_MEM_COPY_UTIL: 204,
  DCGM_FI_DEV_XID_ERRORS: 230,
  DCGM_FI_DEV_FB_FREE: 251,
  DCGM_FI_DEV_FB_USED: 252,
  DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: 310,
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 311,
  DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: 393,
  DCGM_FI_DEV_ROW_REMAP_FAILURE: 395,
  DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL: 449,
  DCGM_FI_DEV_NVLINK_THROUGHPUT_TOTAL: 449,
  DCGM_FI_PROF_SM_ACTIVE: 1002,
  DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: 1004,
  DCGM_FI_PROF_DRAM_ACTIVE: 1005,
};

/** Fields DCGM stores as FP64, whose blank sentinels start at DCGM_FP64_BLANK rather than the INT64 one. */
const FP64_FIELDS: ReadonlySet<number> = new Set([155, 164, 1002, 1004, 1005]);

/**
 * Where DCGM's blank sentinels start: DCGM_INT64_BLANK is 0x7ffffffffffffff0 (its NOT_FOUND, NOT_SUPPORTED and
 * NOT_PERMISSIONED siblings follow it), all of which read as ~9.2234e18 in a double, so anything at or above 9.22e18
 * is "no data"; DCGM_FP64_BLANK is 2^47 for FP64 fields. A value at or above its field's start is not a reading.
 */
export const DCGM_INT64_BLANK = 9.22e18;
export const DCGM_FP64_BLANK = 140737488355328.0;

/** How one exporter metric becomes a wire metric. */
export interface DcgmMapping {
  /** Dense wire metric id (position in METRICS). */
  readonly metric: number;
  readonly fieldId: number;
  /** Multiplies the exporter's value into the wire unit (energy: mJ → J). */
  readonly scale: number;
  /** Values at or above this are DCGM blanks. */
  readonly blankFrom: number;
}

const METRIC_BY_FIELD = new Map<number, number>(METRICS.flatMap((m, i) => (m.dcgm === null ? [] : [[m.dcgm, i]])));

/** Exporter metric name → mapping, for every name whose field the catalog carries. */
export const DCGM_MAPPINGS: ReadonlyMap<string, DcgmMapping> = new Map(
  Object.entries(EXPORTER_NAMES).map(([name, fieldId]) => {
    const metric = METRIC_BY_FIELD.get(fieldId);
    if (metric === undefined) throw new Error(`DCGM field ${fieldId} (${name}) is not in the wire catalog`);
    return [
      name,
      {
        metric,
        fieldId,
        scale: fieldId === 156 ? 0.001 : 1,
        blankFrom: FP64_FIELDS.has(fieldId) ? DCGM_FP64_BLANK : DCGM_INT64_BLANK,
      },
    ];
  }),
);

/** The value in wire units, or NaN for a DCGM blank or a non-finite value. */
export function dcgmValue(mapping: DcgmMapping, raw: number): number {
  if (!Number.isFinite(raw) || raw >= mapping.blankFrom) return NaN;
  return raw * mapping.scale;
}

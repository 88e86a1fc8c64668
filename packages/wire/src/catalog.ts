/**
 * The GPU metric catalog of wire contract v1: every per-GPU metric a sample may carry, in a fixed order.
 * The position of a metric in METRICS is its dense metric id: columnar state everywhere in Kiln is indexed by it.
 */

/** gauge: a level (mean/min/max make sense); counter: monotonic since driver load (deltas and rates make sense);
 *  state: a code or bitmask (Xid, clock-event reasons, a failure flag) that is compared, never averaged. */
export type MetricKind = 'gauge' | 'counter' | 'state';

export interface MetricDef {
  /** Wire field name, also the ClickHouse column name. */
  readonly name: string;
  /** DCGM field id the metric follows (docs/wire.md lists them); null where DCGM has none (read from NVML/nvidia-smi). */
  readonly dcgm: number | null;
  readonly unit: string;
  readonly kind: MetricKind;
  /** Physical range, inclusive: a value outside it (or not finite) is stored as absent. */
  readonly min: number;
  readonly max: number;
  /** The source reports whole numbers. */
  readonly integer: boolean;
  readonly help: string;
}

// DCGM's blank sentinels lie above the ranges below, so the range check alone turns every sentinel into "absent":
// the INT64 ones (>= 9.22e18) above every range, also once an agent scales energy from mJ to J (9.22e15), and the
// FP64 one (1.4e14) above the ranges of the FP64 fields (power, power limit, the PROF ratios).
export const METRICS = [
  {
    name: 'temp_c',
    dcgm: 150,
    unit: 'celsius',
    kind: 'gauge',
    min: -40,
    max: 150,
    integer: false,
    help: 'GPU temperature',
  },
  {
    name: 'mem_temp_c',
    dcgm: 140,
    unit: 'celsius',
    kind: 'gauge',
    min: -40,
    max: 150,
    integer: false,
    help: 'HBM temperature',
  },
  {
    name: 'slowdown_temp_c',
    dcgm: 158,
    unit: 'celsius',
    kind: 'gauge',
    min: 0,
    max: 150,
    integer: false,
    help: 'GPU slowdown threshold',
  },
  {
    name: 'mem_max_temp_c',
    dcgm: 151,
    unit: 'celsius',
    kind: 'gauge',
    min: 0,
    max: 150,
    integer: false,
    help: 'HBM maximum operating temperature',
  },
  { name: 'power_w', dcgm: 155, unit: 'watts', kind: 'gauge', min: 0, max: 5000, integer: false, help: 'Power draw' },
  {
    name: 'power_limit_w',
    dcgm: 164,
    unit: 'watts',
    kind: 'gauge',
    min: 0,
    max: 5000,
    integer: false,
    help: 'Enforced power limit',
  },
  {
    name: 'energy_j',
    dcgm: 156,
    unit: 'joules',
    kind: 'counter',
    min: 0,
    max: 1e15,
    integer: false,
    help: 'Energy since driver load',
  },
  {
    name: 'util_pct',
    dcgm: 203,
    unit: 'percent',
    kind: 'gauge',
    min: 0,
    max: 100,
    integer: false,
    help: 'GPU utilization',
  },
  {
    name: 'mem_util_pct',
    dcgm: 204,
    unit: 'percent',
    kind: 'gauge',
    min: 0,
    max: 100,
    integer: false,
    help: 'Memory copy utilization',
  },
  {
    name: 'sm_active',
    dcgm: 1002,
    unit: 'ratio',
    kind: 'gauge',
    min: 0,
    max: 1,
    integer: false,
    help: 'SM active ratio',
  },
  {
    name: 'tensor_active',
    dcgm: 1004,
    unit: 'ratio',
    kind: 'gauge',
    min: 0,
    max: 1,
    integer: false,
    help: 'Tensor pipe active ratio',
  },
  {
    name: 'dram_active',
    dcgm: 1005,
    unit: 'ratio',
    kind: 'gauge',
    min: 0,
    max: 1,
    integer: false,
    help: 'Memory interface active ratio',
  },
  {
    name: 'sm_clock_mhz',
    dcgm: 100,
    unit: 'megahertz',
    kind: 'gauge',
    min: 0,
    max: 10000,
    integer: true,
    help: 'SM clock',
  },
  {
    name: 'mem_clock_mhz',
    dcgm: 101,
    unit: 'megahertz',
    kind: 'gauge',
    min: 0,
    max: 20000,
    integer: true,
    help: 'Memory clock',
  },
  {
    name: 'fb_used_mib',
    dcgm: 252,
    unit: 'mebibytes',
    kind: 'gauge',
    min: 0,
    max: 4194304,
    integer: true,
    help: 'Framebuffer used',
  },
  {
    name: 'fb_free_mib',
    dcgm: 251,
    unit: 'mebibytes',
    kind: 'gauge',
    min: 0,
    max: 4194304,
    integer: true,
    help: 'Framebuffer free',
  },
  {
    name: 'clock_events',
    dcgm: 112,
    unit: 'bitmask',
    kind: 'state',
    min: 0,
    max: 4294967295,
    integer: true,
    help: 'Clock event (throttle) reasons',
  },
  {
    name: 'xid',
    dcgm: 230,
    unit: 'code',
    kind: 'state',
    min: 0,
    max: 65535,
    integer: true,
    help: 'Last Xid error (0 = none)',
  },
  {
    name: 'ecc_sbe_vol',
    dcgm: 310,
    unit: 'errors',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'Volatile single-bit ECC errors',
  },
  {
    name: 'ecc_dbe_vol',
    dcgm: 311,
    unit: 'errors',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'Volatile double-bit ECC errors',
  },
  {
    name: 'remapped_rows_unc',
    dcgm: 393,
    unit: 'rows',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'Rows remapped for uncorrectable errors',
  },
  {
    name: 'row_remap_failure',
    dcgm: 395,
    unit: 'flag',
    kind: 'state',
    min: 0,
    max: 1,
    integer: true,
    help: 'Row remapping failed',
  },
  {
    name: 'pcie_replay',
    dcgm: 202,
    unit: 'replays',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'PCIe replay counter',
  },
  {
    name: 'nvlink_bytes',
    dcgm: 449,
    unit: 'bytes',
    kind: 'counter',
    min: 0,
    max: 9e18,
    integer: false,
    help: 'NVLink traffic, all lanes',
  },
  {
    name: 'temp_margin_c',
    dcgm: 153,
    unit: 'celsius',
    kind: 'gauge',
    min: -100,
    max: 150,
    integer: false,
    help: 'Degrees below the GPU slowdown point (thermal margin, T.Limit)',
  },
  {
    name: 'module_power_w',
    dcgm: null,
    unit: 'watts',
    kind: 'gauge',
    min: 0,
    max: 10000,
    integer: false,
    help: 'Grace-Blackwell module (superchip) power draw',
  },
  {
    name: 'module_power_limit_w',
    dcgm: null,
    unit: 'watts',
    kind: 'gauge',
    min: 0,
    max: 10000,
    integer: false,
    help: 'Grace-Blackwell module power limit',
  },
  {
    name: 'nvlink_links_inactive',
    dcgm: null,
    unit: 'links',
    kind: 'gauge',
    min: 0,
    max: 64,
    integer: true,
    help: 'NVLink links present but not active (0 expected)',
  },
  {
    name: 'nvlink_crc_errors',
    dcgm: 409,
    unit: 'errors',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'NVLink CRC errors (flit and data), all links',
  },
  {
    name: 'nvlink_replay_errors',
    dcgm: 429,
    unit: 'errors',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'NVLink replay errors, all links',
  },
  {
    name: 'nvlink_recovery_errors',
    dcgm: 439,
    unit: 'errors',
    kind: 'counter',
    min: 0,
    max: 9e15,
    integer: true,
    help: 'NVLink recovery errors, all links',
  },
  {
    name: 'fabric_state',
    dcgm: null,
    unit: 'code',
    kind: 'state',
    min: 0,
    max: 3,
    integer: true,
    help: 'NVLink fabric state: 0 not supported, 1 not started, 2 in progress, 3 completed',
  },
  {
    name: 'fabric_status',
    dcgm: null,
    unit: 'code',
    kind: 'state',
    min: 0,
    max: 4294967295,
    integer: true,
    help: 'NVLink fabric status: 0 success, else the driver error code',
  },
  {
    name: 'fabric_clique',
    dcgm: 173,
    unit: 'id',
    kind: 'state',
    min: 0,
    max: 4294967295,
    integer: true,
    help: 'NVLink fabric clique id (0 = none)',
  },
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof METRICS)[number]['name'];
export const METRIC_COUNT = METRICS.length;
export const METRIC_NAMES: readonly MetricName[] = METRICS.map((m) => m.name);

/** Dense metric id by name. */
export const METRIC_ID: Readonly<Record<MetricName, number>> = Object.fromEntries(
  METRICS.map((m, i) => [m.name, i]),
) as Record<MetricName, number>;

export const GAUGE_IDS: readonly number[] = METRICS.flatMap((m, i) => (m.kind === 'gauge' ? [i] : []));
export const COUNTER_IDS: readonly number[] = METRICS.flatMap((m, i) => (m.kind === 'counter' ? [i] : []));
export const STATE_IDS: readonly number[] = METRICS.flatMap((m, i) => (m.kind === 'state' ? [i] : []));

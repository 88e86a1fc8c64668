import { METRIC_ID, type MetricName } from '@kiln/wire';

/** How a column's text becomes a number: a decimal, a 0x bitmask, or a fabric state/status word. */
export type ColumnParse = 'decimal' | 'hex' | 'fabric_state' | 'fabric_status';

/** One column of the --query-gpu list: its names (newest first), and what it fills. */
export interface QueryField {
  /** Names nvidia-smi has used for it: the first is tried first; older drivers reject it and get the next. */
  readonly names: readonly string[];
  /** The GPU's index, uuid or PCI bus id, or a wire metric. */
  readonly role: 'index' | 'uuid' | 'bus_id' | MetricName;
  readonly parse: ColumnParse;
  /** Without it a row is unusable: no fallback if every name is rejected. */
  readonly required?: boolean;
}

/**
 * The `--query-gpu` columns Kiln reads. Per-GPU thermal limits and the fabric clique come from `nvidia-smi -q`
 * instead, inactive NVLink links from `nvidia-smi nvlink -s`; energy, Xid, PCIe replays, remapped rows and NVLink
 * error counters have no --query-gpu field. The Grace-Blackwell fields print [N/A] on other parts (absent), and a
 * driver too old to know one rejects it, which drops it (see QuerySelection).
 */
export const QUERY_FIELDS: readonly QueryField[] = [
  { names: ['index'], role: 'index', parse: 'decimal', required: true },
  { names: ['uuid'], role: 'uuid', parse: 'decimal', required: true },
  { names: ['pci.bus_id'], role: 'bus_id', parse: 'decimal' },
  { names: ['temperature.gpu'], role: 'temp_c', parse: 'decimal' },
  { names: ['temperature.memory'], role: 'mem_temp_c', parse: 'decimal' },
  { names: ['power.draw'], role: 'power_w', parse: 'decimal' },
  { names: ['enforced.power.limit', 'power.limit'], role: 'power_limit_w', parse: 'decimal' },
  { names: ['utilization.gpu'], role: 'util_pct', parse: 'decimal' },
  { names: ['utilization.memory'], role: 'mem_util_pct', parse: 'decimal' },
  { names: ['clocks.sm', 'clocks.current.sm'], role: 'sm_clock_mhz', parse: 'decimal' },
  { names: ['clocks.mem', 'clocks.current.memory'], role: 'mem_clock_mhz', parse: 'decimal' },
  { names: ['memory.used'], role: 'fb_used_mib', parse: 'decimal' },
  { names: ['memory.free'], role: 'fb_free_mib', parse: 'decimal' },
  // Renamed from clocks_throttle_reasons.* in drivers >= 535.
  { names: ['clocks_event_reasons.active', 'clocks_throttle_reasons.active'], role: 'clock_events', parse: 'hex' },
  { names: ['ecc.errors.corrected.volatile.total'], role: 'ecc_sbe_vol', parse: 'decimal' },
  { names: ['ecc.errors.uncorrected.volatile.total'], role: 'ecc_dbe_vol', parse: 'decimal' },
  // The driver's T.Limit reading: degrees left before the GPU slows down (what DCGM field 153 carries).
  { names: ['temperature.gpu.tlimit'], role: 'temp_margin_c', parse: 'decimal' },
  { names: ['module.power.draw.average', 'module.power.draw.instant'], role: 'module_power_w', parse: 'decimal' },
  { names: ['module.enforced.power.limit', 'module.power.limit'], role: 'module_power_limit_w', parse: 'decimal' },
  { names: ['fabric.state'], role: 'fabric_state', parse: 'fabric_state' },
  { names: ['fabric.status'], role: 'fabric_status', parse: 'fabric_status' },
];

/** A column the current query asks for. */
export interface QueryColumn {
  readonly name: string;
  readonly field: QueryField;
  /** Metric id for metric columns, -1 for index/uuid/bus_id. */
  readonly metric: number;
}

/**
 * The --query-gpu list for this driver: starts with each field's newest name and, each time nvidia-smi rejects a
 * name ("Field "x" is not a valid field to query."), moves that field to its next name or leaves it out.
 */
export class QuerySelection {
  private readonly choice: number[] = QUERY_FIELDS.map(() => 0);
  private current: QueryColumn[] = [];

  constructor() {
    this.rebuild();
  }

  get columns(): readonly QueryColumn[] {
    return this.current;
  }

  /** The --query-gpu argument. */
  get argument(): string {
    return this.current.map((c) => c.name).join(',');
  }

  /**
   * nvidia-smi rejected `name`: use the field's next name, or drop the field. Returns what changed, or throws when a
   * required field has no name left (the tool cannot be used).
   */
  reject(name: string): string {
    const i = QUERY_FIELDS.findIndex((f, k) => f.names[this.choice[k]!] === name);
    if (i < 0) throw new Error(`nvidia-smi rejected the field "${name}", which Kiln did not ask for`);
    const field = QUERY_FIELDS[i]!;
    this.choice[i]!++;
    const next = field.names[this.choice[i]!];
    if (next === undefined && field.required)
      throw new Error(`nvidia-smi does not know the field "${name}", which Kiln needs`);
    this.rebuild();
    return next === undefined ? `dropped ${name}` : `${name} -> ${next}`;
  }

  private rebuild(): void {
    this.current = QUERY_FIELDS.flatMap((field, i) => {
      const name = field.names[this.choice[i]!];
      if (name === undefined) return [];
      const metric =
        field.role === 'index' || field.role === 'uuid' || field.role === 'bus_id' ? -1 : METRIC_ID[field.role];
      return [{ name, field, metric }];
    });
  }
}

const INVALID_FIELD = /Field "([^"]+)" is not a valid field to query/;

/** The field name in nvidia-smi's "not a valid field" message, if `text` is one. */
export function invalidFieldIn(text: string): string | undefined {
  return INVALID_FIELD.exec(text)?.[1];
}

/**
 * Fault injection: what can go wrong with a GPU, a host or a rack, and when. Times are offsets from the fleet's
 * startMs, so one fault list describes the same incident in a replay and in a real-time run.
 */

interface FaultWindow {
  /** Milliseconds after the fleet's startMs at which the fault begins (inclusive). */
  startMs: number;
  /** Milliseconds after the fleet's startMs at which it ends (exclusive); Infinity = until the run ends. */
  endMs: number;
}

interface GpuTarget {
  /** Host name, e.g. r0001-t03. */
  host: string;
  /** GPU index on the host (0..3); omitted = every GPU of the host. */
  gpu?: number;
}

/** One GPU's cooling degrades (a clogged or unseated cold plate): its thermal resistance ramps up to `severity` times
 *  normal over the first minute; the temperature follows with thermal lag past the slowdown threshold and the GPU
 *  throttles. At endMs the cooling is restored and the GPU cools down with the same lag. */
export interface OverheatFault extends FaultWindow, GpuTarget {
  kind: 'overheat';
  /** Thermal-resistance multiplier once fully degraded; default 2. */
  severity?: number;
}

/** The GPU stops running kernels (a hung rank) while its job's peers stay busy: util and sm_active near zero, memory
 *  still allocated. */
export interface StallFault extends FaultWindow, GpuTarget {
  kind: 'stall';
}

/** A fail-slow GPU: its SM clock runs `slowdown` below its peers', and its power drops with it. */
export interface StragglerFault extends FaultWindow, GpuTarget {
  kind: 'straggler';
  /** Fraction of the SM clock lost; default 0.22 (power falls ~15–30% for 0.15–0.3). */
  slowdown?: number;
}

/** The GPU reports Xid `code` as its last Xid from startMs until endMs (when a reset clears it). Only the field:
 *  combine with gpu_missing or stall for an Xid's consequences. */
export interface XidFault extends FaultWindow, GpuTarget {
  kind: 'xid';
  /** Xid code; default 79 (fallen off the bus). 48 is a double-bit ECC error. */
  code?: number;
}

/** An Xid storm: the driver logs Xid `code` on the GPU at every tick of the window, each an event of the event contract
 *  (kiln.v1.event.<cluster>.<rack>.<host>), as an agent reading the kernel log publishes them. Only the events: the
 *  sample field `xid` is left alone (combine with xid for that). */
export interface XidStormFault extends FaultWindow, GpuTarget {
  kind: 'xid_storm';
  /** Xid code; default 74 (an NVLink error, which repeats while the link flaps). */
  code?: number;
}

/** Uncorrectable (double-bit) ECC errors: ecc_dbe_vol and remapped_rows_unc rise by `count`, the increments spread
 *  evenly over the window (all at startMs when the window is open-ended). */
export interface EccDbeFault extends FaultWindow, GpuTarget {
  kind: 'ecc_dbe';
  /** Number of errors; default 1. */
  count?: number;
}

/** The GPU is absent from its host's messages (it fell off the bus, or the agent cannot read it). A host whose every
 *  GPU is missing sends nothing. */
export interface GpuMissingFault extends FaultWindow, GpuTarget {
  kind: 'gpu_missing';
}

/** The host sends nothing in the window (down, or cut off from NATS). */
export interface OfflineFault extends FaultWindow {
  kind: 'offline';
  host: string;
}

/** A driver reload: the host sends nothing during the window, and its volatile counters (energy, NVLink bytes,
 *  volatile ECC, PCIe replays) restart from 0 at startMs. endMs = startMs reloads with no gap in the data. */
export interface CounterResetFault extends FaultWindow {
  kind: 'counter_reset';
  host: string;
}

/** The host's clock is off (a misconfigured NTP client): its samples carry ts + `aheadS` seconds (negative: behind). */
export interface ClockSkewFault extends FaultWindow {
  kind: 'clock_skew';
  host: string;
  /** Seconds the host's clock runs ahead of the others; default 240. */
  aheadS?: number;
}

/** The rack's coolant loop fails (CDU or facility water): the inlet temperature of all 72 GPUs rises by `riseC` over
 *  two minutes, so the whole rack heats up together; restored at endMs. Targets a rack, not a host. */
export interface RackCoolingFault extends FaultWindow {
  kind: 'rack_cooling';
  /** Rack name, e.g. r0001. */
  rack: string;
  /** Coolant inlet rise (°C) once fully degraded; default 22. */
  riseC?: number;
}

/** `links` of the GPU's 18 NVLink links go inactive (a failing cable, connector or switch port); active again at endMs. */
export interface NvlinkDownFault extends FaultWindow, GpuTarget {
  kind: 'nvlink_down';
  /** Inactive links; default 2. */
  links?: number;
}

/** The GPU's NVLink fabric is stuck in progress (fabric_state 2) with no clique, its job still assigned; completes at endMs. */
export interface FabricStuckFault extends FaultWindow, GpuTarget {
  kind: 'fabric_stuck';
}

/** A storm of corrected (single-bit) ECC errors: ecc_sbe_vol rises by `rate` errors/s. */
export interface EccStormFault extends FaultWindow, GpuTarget {
  kind: 'ecc_storm';
  /** Errors per second; default 100. */
  rate?: number;
}

/** A rack with no job and no compute domain (a look-alike, not a fault): its GPUs idle with no job, their fabric in
 *  progress without a clique, as an idle GB300 rack reports it. Targets a rack. */
export interface IdleRackFault extends FaultWindow {
  kind: 'idle_rack';
  /** Rack name, e.g. r0001. */
  rack: string;
}

export type Fault =
  | NvlinkDownFault
  | FabricStuckFault
  | EccStormFault
  | IdleRackFault
  | OverheatFault
  | StallFault
  | StragglerFault
  | XidFault
  | XidStormFault
  | EccDbeFault
  | GpuMissingFault
  | OfflineFault
  | CounterResetFault
  | ClockSkewFault
  | RackCoolingFault;

export type FaultKind = Fault['kind'];

/** What a fault kind applies to: one GPU (or all GPUs of a host), one host, or one rack. */
export type FaultTarget = 'gpu' | 'host' | 'rack';

/** A kind's single optional parameter: its property name, default and accepted range. */
export interface FaultParam {
  readonly name: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

export interface FaultKindSpec {
  readonly target: FaultTarget;
  readonly param?: FaultParam;
  /** Duration when the compact syntax omits one: counter_reset is instant, everything else lasts to the end. */
  readonly defaultDurationMs: number;
}

export const FAULT_KINDS: Readonly<Record<FaultKind, FaultKindSpec>> = {
  overheat: {
    target: 'gpu',
    param: { name: 'severity', default: 2, min: 1, max: 10, integer: false },
    defaultDurationMs: Infinity,
  },
  stall: { target: 'gpu', defaultDurationMs: Infinity },
  straggler: {
    target: 'gpu',
    param: { name: 'slowdown', default: 0.22, min: 0.01, max: 0.9, integer: false },
    defaultDurationMs: Infinity,
  },
  xid: {
    target: 'gpu',
    param: { name: 'code', default: 79, min: 1, max: 65535, integer: true },
    defaultDurationMs: Infinity,
  },
  xid_storm: {
    target: 'gpu',
    param: { name: 'code', default: 74, min: 1, max: 65535, integer: true },
    defaultDurationMs: Infinity,
  },
  ecc_dbe: {
    target: 'gpu',
    param: { name: 'count', default: 1, min: 1, max: 1_000_000, integer: true },
    defaultDurationMs: Infinity,
  },
  gpu_missing: { target: 'gpu', defaultDurationMs: Infinity },
  offline: { target: 'host', defaultDurationMs: Infinity },
  counter_reset: { target: 'host', defaultDurationMs: 0 },
  clock_skew: {
    target: 'host',
    param: { name: 'aheadS', default: 240, min: -3600, max: 3600, integer: false },
    defaultDurationMs: Infinity,
  },
  rack_cooling: {
    target: 'rack',
    param: { name: 'riseC', default: 22, min: 0, max: 80, integer: false },
    defaultDurationMs: Infinity,
  },
  nvlink_down: {
    target: 'gpu',
    param: { name: 'links', default: 2, min: 1, max: 18, integer: true },
    defaultDurationMs: Infinity,
  },
  fabric_stuck: { target: 'gpu', defaultDurationMs: Infinity },
  ecc_storm: {
    target: 'gpu',
    param: { name: 'rate', default: 100, min: 0.01, max: 1_000_000, integer: false },
    defaultDurationMs: Infinity,
  },
  idle_rack: { target: 'rack', defaultDurationMs: Infinity },
};

export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[];

export function isFaultKind(s: string): s is FaultKind {
  return Object.hasOwn(FAULT_KINDS, s);
}

/** The value of a fault's parameter, its default when unset; undefined for kinds without one. */
export function faultParam(fault: Fault): number | undefined {
  const param = FAULT_KINDS[fault.kind].param;
  if (!param) return undefined;
  return (fault as unknown as Record<string, number | undefined>)[param.name] ?? param.default;
}

/** Where a fault applies: the rack name for rack faults, else host or host/gpu. */
export function faultTargetName(fault: Fault): string {
  if ('rack' in fault) return fault.rack;
  if ('gpu' in fault && fault.gpu !== undefined) return `${fault.host}/${fault.gpu}`;
  return fault.host;
}

/**
 * Checks a fault that comes from outside (a config file, JSON on a command line) and returns it typed. Throws a
 * TypeError naming the field and what was expected. Whether the host or rack exists is checked by the Fleet.
 */
export function validateFault(input: unknown): Fault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`fault: expected an object, got ${JSON.stringify(input)}`);
  }
  const f = input as Record<string, unknown>;
  const kind = f.kind;
  if (typeof kind !== 'string' || !isFaultKind(kind)) {
    throw new TypeError(`fault.kind: expected one of ${FAULT_KIND_NAMES.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  const spec = FAULT_KINDS[kind];
  const where = `fault ${kind}`;
  const allowed = new Set([
    'kind',
    'startMs',
    'endMs',
    ...targetKeys(spec.target),
    ...(spec.param ? [spec.param.name] : []),
  ]);
  for (const key of Object.keys(f)) {
    if (!allowed.has(key))
      throw new TypeError(`${where}: unknown field ${JSON.stringify(key)} (allowed: ${[...allowed].join(', ')})`);
  }
  const startMs = f.startMs;
  const endMs = f.endMs;
  if (typeof startMs !== 'number' || !Number.isFinite(startMs) || startMs < 0) {
    throw new TypeError(
      `${where}: startMs must be a finite number of milliseconds >= 0, got ${JSON.stringify(startMs)}`,
    );
  }
  if (typeof endMs !== 'number' || Number.isNaN(endMs) || endMs < startMs) {
    throw new TypeError(
      `${where}: endMs must be a number >= startMs (${startMs}) or Infinity, got ${JSON.stringify(endMs)}`,
    );
  }
  if (spec.target === 'rack') {
    if (typeof f.rack !== 'string' || f.rack === '')
      throw new TypeError(`${where}: rack must be a rack name, e.g. r0001`);
  } else {
    if (typeof f.host !== 'string' || f.host === '')
      throw new TypeError(`${where}: host must be a host name, e.g. r0001-t03`);
    if (f.gpu !== undefined && !(Number.isInteger(f.gpu) && (f.gpu as number) >= 0 && (f.gpu as number) <= 7)) {
      throw new TypeError(`${where}: gpu must be a GPU index 0..7 or absent (all GPUs), got ${JSON.stringify(f.gpu)}`);
    }
  }
  if (spec.param) {
    const value = f[spec.param.name];
    if (value !== undefined) checkParam(kind, spec.param, value);
  }
  return f as unknown as Fault;
}

/** Throws a RangeError unless `value` is acceptable for the kind's parameter. */
export function checkParam(kind: FaultKind, param: FaultParam, value: unknown): asserts value is number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < param.min ||
    value > param.max ||
    (param.integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `fault ${kind}: ${param.name} must be ${param.integer ? 'an integer' : 'a number'} in ${param.min}..${param.max}, ` +
        `got ${JSON.stringify(value)}`,
    );
  }
}

function targetKeys(target: FaultTarget): string[] {
  if (target === 'rack') return ['rack'];
  if (target === 'host') return ['host'];
  return ['host', 'gpu'];
}

import { formatDuration, parseDuration } from '@kiln/duration';
import { isSubjectToken } from '@kiln/wire';
import {
  checkParam,
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  faultParam,
  faultTargetName,
  isFaultKind,
  type Fault,
} from './faults.js';

/**
 * The compact fault syntax of `kiln simulate --fault`:
 *
 *   <kind>[=<value>]:<target>@<start>[+<duration>]
 *
 * - kind: overheat, stall, straggler, xid, xid_storm, ecc_dbe, gpu_missing, offline, counter_reset, clock_skew,
 *   rack_cooling, nvlink_down, fabric_stuck, ecc_storm, idle_rack;
 *   `=<value>` sets the kind's parameter (overheat severity, straggler slowdown, xid and xid_storm code, ecc_dbe count,
 *   clock_skew seconds ahead, rack_cooling riseC, nvlink_down links, ecc_storm errors/s), e.g. xid=48.
 * - target: <host>/<gpu> or <host> (all GPUs of the host) for GPU faults, <host> for offline, counter_reset and
 *   clock_skew, <rack> for rack_cooling and idle_rack.
 * - start, duration: 90s, 5m, 1h30m, 500ms (units required). start is measured from the start of the run; without a
 *   duration the fault lasts to the end of the run (counter_reset: an instant reload).
 *
 * Examples: overheat:r0001-t03/2@120s+300s, xid=48:r0002-t11/0@10m, rack_cooling=25:r0003@5m+15m,
 * nvlink_down=4:r0001-t05/1@2m, idle_rack:r0002@0s.
 */
export const FAULT_SYNTAX = '<kind>[=<value>]:<host>[/<gpu>]@<start>[+<duration>]';
const EXAMPLE = 'overheat:r0001-t03/2@120s+300s';

export class FaultSyntaxError extends Error {
  constructor(
    readonly spec: string,
    readonly problem: string,
  ) {
    super(`invalid fault ${JSON.stringify(spec)}: ${problem}; expected ${FAULT_SYNTAX}, e.g. ${EXAMPLE}`);
    this.name = 'FaultSyntaxError';
  }
}

/** Parses one fault in the compact syntax; throws FaultSyntaxError saying what is wrong. */
export function parseFault(spec: string): Fault {
  const fail: (problem: string) => never = (problem) => {
    throw new FaultSyntaxError(spec, problem);
  };
  const text = spec.trim();
  const colon = text.indexOf(':');
  if (colon < 0) fail('missing ":" after the kind');
  const head = text.slice(0, colon);
  const [kind, value, ...extraValues] = head.split('=');
  if (extraValues.length > 0) fail(`more than one "=" in ${JSON.stringify(head)}`);
  if (kind === undefined || !isFaultKind(kind)) {
    fail(`unknown kind ${JSON.stringify(kind)} (kinds: ${FAULT_KIND_NAMES.join(', ')})`);
  }
  const kindSpec = FAULT_KINDS[kind];

  const rest = text.slice(colon + 1);
  const at = rest.indexOf('@');
  if (at < 0) fail('missing "@<start>" (the time after the start of the run, e.g. @120s)');
  const target = rest.slice(0, at);
  const [startText = '', durationText, ...extraDurations] = rest.slice(at + 1).split('+');
  if (extraDurations.length > 0) fail('more than one "+<duration>"');
  const startMs = parseDuration(startText);
  if (startMs === undefined)
    fail(`start ${JSON.stringify(startText)} is not a duration (use e.g. 90s, 5m, 1h30m, 500ms)`);
  const durationMs = durationText === undefined ? kindSpec.defaultDurationMs : parseDuration(durationText);
  if (durationMs === undefined)
    fail(`duration ${JSON.stringify(durationText)} is not a duration (use e.g. 90s, 5m, 1h30m)`);

  const fault: Record<string, unknown> = { kind, startMs, endMs: startMs + durationMs };
  const [name, gpuText, ...extraParts] = target.split('/');
  if (extraParts.length > 0) fail(`target ${JSON.stringify(target)} has more than one "/"`);
  if (name === undefined || !isSubjectToken(name)) {
    fail(
      `target ${JSON.stringify(target)} is not a ${kindSpec.target === 'rack' ? 'rack' : 'host'} name ([A-Za-z0-9_-], e.g. r0001-t03)`,
    );
  }
  if (kindSpec.target === 'rack') {
    if (gpuText !== undefined) fail(`${kind} targets a whole rack (e.g. r0001), not a GPU`);
    fault.rack = name;
  } else {
    fault.host = name;
    if (gpuText !== undefined) {
      if (kindSpec.target === 'host') fail(`${kind} targets a whole host (e.g. r0001-t03), not a GPU`);
      if (!/^[0-7]$/.test(gpuText)) fail(`GPU index ${JSON.stringify(gpuText)} must be 0..7`);
      fault.gpu = Number(gpuText);
    }
  }

  if (value !== undefined) {
    const param = kindSpec.param;
    if (!param) fail(`${kind} takes no "=<value>"`);
    const number = value.trim() === '' ? NaN : Number(value);
    try {
      checkParam(kind, param, number);
    } catch (e) {
      fail(`${(e as Error).message.replace(/^fault \w+: /, '')} (in "=${value}")`);
    }
    fault[param.name] = number;
  }
  return fault as unknown as Fault;
}

/** Parses several faults (repeated --fault options); the first error is thrown. */
export function parseFaults(specs: readonly string[]): Fault[] {
  return specs.map(parseFault);
}

/** Writes a fault back in the compact syntax: parseFault(formatFault(f)) is equivalent to f, except that the syntax
 *  has no open-ended counter_reset (it reads back as an instant reload). */
export function formatFault(fault: Fault): string {
  const spec = FAULT_KINDS[fault.kind];
  const param =
    spec.param && (fault as unknown as Record<string, unknown>)[spec.param.name] !== undefined
      ? `=${faultParam(fault)}`
      : '';
  // An open-ended window has no duration to write; only counter_reset then reads back as its instant default.
  const duration = fault.endMs - fault.startMs;
  const until = duration === spec.defaultDurationMs || duration === Infinity ? '' : `+${formatDuration(duration)}`;
  return `${fault.kind}${param}:${faultTargetName(fault)}@${formatDuration(fault.startMs)}${until}`;
}

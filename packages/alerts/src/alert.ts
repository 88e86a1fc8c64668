import { fingerprint } from './fingerprint.js';

/** Label set identifying an alert. Names follow Prometheus' classic label name syntax. */
export type Labels = Readonly<Record<string, string>>;
/** Descriptive text of an alert; unlike labels, annotations do not identify it and may change while it fires. */
export type Annotations = Readonly<Record<string, string>>;

export type AlertStatus = 'firing' | 'resolved';

/** What a detector emits and the alerter receives. Times are event time, Unix milliseconds. */
export interface AlertEvent {
  readonly labels: Labels;
  readonly annotations: Annotations;
  readonly status: AlertStatus;
  /** When the alert fired. Together with the labels it identifies one firing episode. */
  readonly startsAt: number;
  /** When the condition ended: set on resolved events only. */
  readonly endsAt?: number;
  /** Link back to what produced the alert (a Grafana panel, a detector page). */
  readonly generatorURL?: string;
}

/** An alert event inside the alerter, with its fingerprint computed once. */
export interface Alert extends AlertEvent {
  readonly fingerprint: string;
}

export function toAlert(event: AlertEvent): Alert {
  return { ...event, fingerprint: fingerprint(event.labels) };
}

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = ['thermal', 'utilization', 'hardware', 'availability'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Labels every alert carries (docs/events.md). */
export const REQUIRED_LABELS = ['alertname', 'severity', 'category', 'cluster', 'rack'] as const;
/** Labels an alert about one host or one GPU adds. */
export const SCOPE_LABELS = ['host', 'gpu', 'uuid'] as const;
export const REQUIRED_ANNOTATIONS = ['summary', 'description'] as const;

/** The contract's labels, typed; any further labels are allowed. */
export type ContractLabels = Labels & {
  readonly alertname: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly cluster: string;
  readonly rack: string;
  readonly host?: string;
  readonly gpu?: string;
  readonly uuid?: string;
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** GPU index as the wire contract defines it (0..7), written as a decimal string. */
const GPU_INDEX = /^[0-7]$/;
/** A UTF-16 surrogate without its pair (JSON's `\ud800` escape makes one): the string is not valid UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

export type AlertValidation =
  | { readonly ok: true; readonly event: AlertEvent }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Which rules an alert event is held to. Kiln's own detectors publish under the alert contract (its labels and
 * annotations, typed severity and category); any other sender (a Prometheus or vmalert rule posting to the API) is held
 * to what Alertmanager asks of a posted alert: at least one label, valid names, no empty values.
 */
export type AlertContract = 'kiln' | 'any';

/**
 * Checks an alert event arriving from outside (decoded JSON) against the alert contract (`kiln`, the default) or
 * against Alertmanager's rules for any alert (`any`). Reports every problem, each naming its field, and on success
 * returns a fresh event holding only the event's fields.
 */
export function validateAlertEvent(input: unknown, contract: AlertContract = 'kiln'): AlertValidation {
  const errors: string[] = [];
  if (!isRecord(input)) return { ok: false, errors: [`alert event: expected an object, got ${describe(input)}`] };

  const labels = stringRecord(input['labels'], 'labels', errors);
  if (labels) {
    if (contract === 'kiln') checkContractLabels(labels, errors);
    else checkAnyLabels(labels, errors);
  }
  const annotations = stringRecord(input['annotations'], 'annotations', errors);
  if (annotations && contract === 'kiln') {
    for (const name of REQUIRED_ANNOTATIONS) {
      if (!annotations[name]) errors.push(`annotations.${name}: required, a non-empty string`);
    }
  }

  const status = input['status'];
  if (status !== 'firing' && status !== 'resolved')
    errors.push(`status: expected "firing" or "resolved", got ${describe(status)}`);
  const startsAt = input['startsAt'];
  if (!isTimestamp(startsAt))
    errors.push(`startsAt: expected Unix milliseconds (a positive integer), got ${describe(startsAt)}`);
  const endsAt = input['endsAt'];
  if (status === 'resolved') {
    if (!isTimestamp(endsAt)) errors.push(`endsAt: a resolved alert needs Unix milliseconds, got ${describe(endsAt)}`);
    else if (isTimestamp(startsAt) && endsAt < startsAt)
      errors.push(`endsAt: ${endsAt} is before startsAt ${startsAt}`);
  } else if (status === 'firing' && endsAt !== undefined) {
    errors.push('endsAt: only a resolved alert has one');
  }
  const generatorURL = input['generatorURL'];
  if (generatorURL !== undefined && typeof generatorURL !== 'string')
    errors.push(`generatorURL: expected a string, got ${describe(generatorURL)}`);

  if (errors.length > 0 || !labels || !annotations) return { ok: false, errors };
  const event: AlertEvent = {
    labels,
    annotations,
    status: status as AlertStatus,
    startsAt: startsAt as number,
    ...(status === 'resolved' ? { endsAt: endsAt as number } : {}),
    ...(typeof generatorURL === 'string' ? { generatorURL } : {}),
  };
  return { ok: true, event };
}

export class AlertValidationError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid alert event: ${errors.join('; ')}`);
    this.name = 'AlertValidationError';
  }
}

function checkContractLabels(labels: Labels, errors: string[]): void {
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name))
      errors.push(`labels: name ${JSON.stringify(name)} does not match [a-zA-Z_][a-zA-Z0-9_]*`);
    if (value === '') errors.push(`labels.${name}: empty; omit the label instead`);
  }
  for (const name of REQUIRED_LABELS) {
    if (labels[name] === undefined) errors.push(`labels.${name}: required`);
  }
  const { severity, category, gpu, host, uuid } = labels;
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
    errors.push(`labels.severity: expected one of ${SEVERITIES.join('|')}, got ${JSON.stringify(severity)}`);
  }
  if (category !== undefined && !(CATEGORIES as readonly string[]).includes(category)) {
    errors.push(`labels.category: expected one of ${CATEGORIES.join('|')}, got ${JSON.stringify(category)}`);
  }
  if (gpu !== undefined) {
    if (!GPU_INDEX.test(gpu))
      errors.push(`labels.gpu: expected a GPU index 0..7 as a string, got ${JSON.stringify(gpu)}`);
    if (host === undefined) errors.push('labels.host: required when labels.gpu is set');
    if (uuid === undefined) errors.push('labels.uuid: required when labels.gpu is set');
  } else if (uuid !== undefined) {
    errors.push('labels.gpu: required when labels.uuid is set');
  }
}

/**
 * Alertmanager's rules for a posted alert's labels: at least one, names non-empty UTF-8 (Prometheus 3 allows any UTF-8
 * name, such as `service.name`), values non-empty.
 */
function checkAnyLabels(labels: Labels, errors: string[]): void {
  const entries = Object.entries(labels);
  if (entries.length === 0) errors.push('labels: at least one label is required');
  for (const [name, value] of entries) {
    if (name === '' || LONE_SURROGATE.test(name))
      errors.push(`labels: name ${JSON.stringify(name)} is not a non-empty UTF-8 string`);
    if (value === '') errors.push(`labels.${name}: empty; omit the label instead`);
    else if (LONE_SURROGATE.test(value)) errors.push(`labels.${name}: not valid UTF-8`);
  }
}

function stringRecord(value: unknown, path: string, errors: string[]): Labels | undefined {
  if (!isRecord(value)) {
    errors.push(`${path}: expected an object of strings, got ${describe(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  let ok = true;
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'string') out[name] = v;
    else {
      errors.push(`${path}.${name}: expected a string, got ${describe(v)}`);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

import { METRIC_COUNT } from './catalog.js';
import { REJECT_REASONS } from './message.js';

/** Distinct unknown-field names kept; further names count under OTHER_UNKNOWN_FIELDS. Senders choose these names,
 *  so both their number and their length are bounded. */
export const MAX_UNKNOWN_FIELD_NAMES = 64;
export const OTHER_UNKNOWN_FIELDS = '(other)';
const MAX_UNKNOWN_FIELD_NAME_LENGTH = 80;

/**
 * What the decoder saw, accumulated across calls until reset(): the counts that the metrics endpoint exports and
 * that make every dropped field and rejected message visible. Only accepted messages contribute field faults and
 * unknown fields, so these describe stored data; a rejected message counts once, under its reason.
 */
export class DecodeStats {
  /** Accepted messages. */
  accepted = 0;
  /** GPU-samples appended to the batch (rows of accepted messages). */
  rows = 0;
  /** Metrics present but not a finite number in range, stored as absent: indexed by metric id. */
  readonly fieldFaults = new Uint32Array(METRIC_COUNT);
  /** Rejected messages, indexed by position in REJECT_REASONS (see REJECT_REASON_ID). */
  readonly rejected = new Uint32Array(REJECT_REASONS.length);
  /** Ignored fields by name: `name` at the top level, `gpus[].name` inside a GPU entry. Rare, so a Map. */
  readonly unknownFields = new Map<string, number>();

  countUnknownField(name: string): void {
    const key = name.length > MAX_UNKNOWN_FIELD_NAME_LENGTH ? `${name.slice(0, MAX_UNKNOWN_FIELD_NAME_LENGTH)}…` : name;
    const seen = this.unknownFields.get(key);
    if (seen !== undefined) this.unknownFields.set(key, seen + 1);
    else if (this.unknownFields.size < MAX_UNKNOWN_FIELD_NAMES) this.unknownFields.set(key, 1);
    else this.unknownFields.set(OTHER_UNKNOWN_FIELDS, (this.unknownFields.get(OTHER_UNKNOWN_FIELDS) ?? 0) + 1);
  }

  reset(): void {
    this.accepted = 0;
    this.rows = 0;
    this.fieldFaults.fill(0);
    this.rejected.fill(0);
    this.unknownFields.clear();
  }
}

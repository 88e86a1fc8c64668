import type { GpuEvent } from '@kiln/wire';
import type { ReadQuery } from './sample-identity.js';

export const GPU_EVENT_COLUMNS = [
  'ts',
  'cluster',
  'rack',
  'host',
  'seq',
  'kind',
  'gpu',
  'uuid',
  'code',
  'message',
] as const;

/** An event as kiln.gpu_events holds it: no GPU is NULL, no uuid empty. */
export function gpuEventValues(e: GpuEvent): unknown[] {
  return [e.ts, e.cluster, e.rack, e.host, e.seq, e.kind, e.gpu ?? null, e.uuid ?? '', e.code, e.message];
}

/**
 * Whether `table` holds the event already, by its identity (cluster, rack, host, seq): how ingest finds a redelivered
 * or replayed event beyond the insert token's deduplication window.
 */
export async function eventStored(query: ReadQuery, table: string, e: GpuEvent): Promise<boolean> {
  // Tokens are subject tokens, checked by the decoder: safe to quote inline.
  const rows = await query<{ n: number | string }>(
    `SELECT count() AS n FROM ${table} WHERE cluster = '${e.cluster}' AND rack = '${e.rack}' AND host = '${e.host}' AND seq = ${e.seq}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

import type { GpuEvent } from '@kiln/wire';

export const GPU_EVENT_COLUMNS = ['ts', 'cluster', 'rack', 'host', 'seq', 'kind', 'gpu', 'uuid', 'code', 'message'] as const;

/** An event as kiln.gpu_events holds it: no GPU is NULL, no uuid empty. */
export function gpuEventValues(e: GpuEvent): unknown[] {
  return [e.ts, e.cluster, e.rack, e.host, e.seq, e.kind, e.gpu ?? null, e.uuid ?? '', e.code, e.message];
}

import type { Labels } from '@kiln/alerts';
import type { GpuRegistry } from '@kiln/window';

/** Contract labels of an alert about one GPU (DESIGN.md, alert contract). */
export function gpuAlertLabels(
  registry: GpuRegistry,
  gpuId: number,
  uuid: string,
  alertname: string,
  severity: 'critical' | 'warning' | 'info',
  category: 'thermal' | 'utilization' | 'hardware' | 'availability',
): Labels {
  return {
    alertname,
    severity,
    category,
    cluster: registry.cluster[gpuId]!,
    rack: registry.rack[gpuId]!,
    host: registry.host[gpuId]!,
    gpu: String(registry.gpuIndex[gpuId]!),
    uuid,
  };
}

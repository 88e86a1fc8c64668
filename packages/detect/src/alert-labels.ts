import type { Category, Labels, Severity } from '@kiln/alerts';
import type { GpuRegistry } from '@kiln/window';

/** Contract labels of an alert about one GPU (docs/events.md). */
export function gpuAlertLabels(
  registry: GpuRegistry,
  gpuId: number,
  uuid: string,
  alertname: string,
  severity: Severity,
  category: Category,
): Labels {
  return {
    alertname,
    severity,
    category,
    cluster: registry.clusterOf(gpuId),
    rack: registry.rackOf(gpuId),
    host: registry.hostOf(gpuId),
    gpu: String(registry.gpuIndexOf(gpuId)),
    uuid,
  };
}

/** Contract labels of an alert about one host: no gpu or uuid. */
export function hostAlertLabels(
  cluster: string,
  rack: string,
  host: string,
  alertname: string,
  severity: Severity,
  category: Category,
): Labels {
  return { alertname, severity, category, cluster, rack, host };
}

/** Contract labels of an alert about a whole rack: no host, gpu or uuid, so it can inhibit the rack's per-GPU alerts. */
export function rackAlertLabels(
  cluster: string,
  rack: string,
  alertname: string,
  severity: Severity,
  category: Category,
): Labels {
  return { alertname, severity, category, cluster, rack };
}

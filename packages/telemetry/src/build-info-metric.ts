import type { Meter } from '@opentelemetry/api';
import type { BuildInfo } from '@kiln/config';

/** kiln_build_info{version,revision,node} 1, Prometheus' convention for telling which build a target runs. */
export function observeBuildInfo(meter: Meter, info: BuildInfo): void {
  const gauge = meter.createObservableGauge('kiln_build_info', {
    description: 'Always 1; the labels say which Kiln build and Node.js version this process runs',
  });
  const attributes = { version: info.version, revision: info.revision, node: info.node };
  gauge.addCallback((result) => result.observe(1, attributes));
}

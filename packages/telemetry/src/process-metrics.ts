import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

/**
 * The process every Kiln service runs in: CPU, memory, and event-loop delay (a stalled loop stalls the partition,
 * the API and the scrape alike). The delay histogram samples every 20 ms and is reset at each collection, so the
 * figures describe the time since the previous one.
 */
export function observeProcess(meter: Meter): { stop(): void } {
  const cpu = meter.createObservableCounter('kiln_process_cpu_seconds_total', {
    description: 'CPU time used by the process, user and system',
  });
  const rss = meter.createObservableGauge('kiln_process_resident_memory_bytes', {
    description: 'Resident set size of the process',
  });
  const heap = meter.createObservableGauge('kiln_process_heap_used_bytes', { description: 'V8 heap in use' });
  const delayMax = meter.createObservableGauge('kiln_event_loop_delay_max_seconds', {
    description: 'Longest event-loop delay since the previous collection',
  });
  const delayP99 = meter.createObservableGauge('kiln_event_loop_delay_p99_seconds', {
    description: '99th percentile of event-loop delay since the previous collection',
  });
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  meter.addBatchObservableCallback(
    (result) => {
      const usage = process.cpuUsage();
      result.observe(cpu, (usage.user + usage.system) / 1e6);
      const memory = process.memoryUsage();
      result.observe(rss, memory.rss);
      result.observe(heap, memory.heapUsed);
      if (loop.count > 0) {
        result.observe(delayMax, loop.max / 1e9);
        result.observe(delayP99, loop.percentile(99) / 1e9);
      }
      loop.reset();
    },
    [cpu, rss, heap, delayMax, delayP99],
  );
  return { stop: () => loop.disable() };
}

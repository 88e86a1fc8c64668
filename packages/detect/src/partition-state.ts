import type { SampleBatch } from '@kiln/wire';
import type { ClosedWindow } from '@kiln/window';
import { GroupIndex } from './group-index.js';
import { PartitionTopology } from './topology.js';
import { WindowSnapshot } from './window-snapshot.js';

/**
 * What the partition's window-judging detectors share: the topology (hosts, racks, peer groups, newest event times),
 * the latest closed window of each GPU with a short history, and after each closing pass the judged GPUs bucketed by
 * peer group and by rack. Detection feeds it before the detectors run.
 */
export class PartitionState {
  readonly topology = new PartitionTopology();
  readonly windows: WindowSnapshot;
  readonly byPeerGroup = new GroupIndex();
  readonly byRack = new GroupIndex();

  /** @param historyMs how far back the window history must reach */
  constructor(historyMs: number) {
    this.windows = new WindowSnapshot(historyMs);
  }

  onSample(batch: SampleBatch, row: number, gpuId: number): void {
    this.topology.observe(batch, row, gpuId);
  }

  onWindow(w: ClosedWindow): void {
    if (this.topology.isKnown(w.gpuId)) this.windows.record(w);
  }

  /** Forgets the GPU: it leaves its peer group, and its windows and history go. */
  forgetGpu(gpuId: number): void {
    this.topology.forgetGpu(gpuId);
    this.windows.forgetGpu(gpuId);
  }

  /** Ends a closing pass; afterwards the judged GPUs are bucketed. */
  closePass(): void {
    const { windows, topology } = this;
    windows.closePass();
    if (windows.judgedCount === 0) return;
    this.byPeerGroup.build(windows.judged, windows.judgedCount, topology.groupOf, topology.groupCount);
    this.byRack.build(windows.judged, windows.judgedCount, topology.rackOf, topology.rackCount);
  }
}

import { METRIC_COUNT, MessageWriter, type WireMessage } from '@kiln/wire';
import type { FaultEffects } from './fault-effects.js';
import type { Jobs } from './jobs.js';
import { GPUS_PER_TRAY, type Topology } from './topology.js';

/**
 * Turns the model's frame into wire-v1 messages: one per host that is online and has at least one GPU present, its
 * GPUs in index order. `fresh` builds new objects the caller may keep; `shared` rewrites one message per host, owned
 * by its writer, in place, which allocates nothing per GPU (a 100,000-GPU tick costs milliseconds instead of hundreds
 * of them) but is valid only until the next call.
 */
export class FleetMessages {
  /** One writer per host for `shared`, and the list of messages present this tick. */
  private readonly writers: readonly MessageWriter[];
  private readonly present: WireMessage[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly jobs: Jobs,
  ) {
    this.writers = topology.hosts.map((_, host) => this.writerFor(host));
  }

  fresh(effects: FaultEffects, frame: Float64Array, seq: number, ts: number): WireMessage[] {
    const messages: WireMessage[] = [];
    for (let host = 0; host < this.topology.hostCount; host++) {
      const message = this.write(this.writerFor(host), host, effects, frame, seq, ts);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  shared(effects: FaultEffects, frame: Float64Array, seq: number, ts: number): readonly WireMessage[] {
    const present = this.present;
    present.length = 0;
    for (let host = 0; host < this.topology.hostCount; host++) {
      const message = this.write(this.writers[host]!, host, effects, frame, seq, ts);
      if (message !== undefined) present.push(message);
    }
    return present;
  }

  private write(
    writer: MessageWriter,
    host: number,
    effects: FaultEffects,
    frame: Float64Array,
    seq: number,
    ts: number,
  ): WireMessage | undefined {
    if (effects.offline[host] === 1) return undefined;
    writer.begin(seq, ts + effects.clockAheadMs[host]!);
    const { uuids } = this.topology;
    const { names, jobOfGpu } = this.jobs;
    for (let index = 0; index < GPUS_PER_TRAY; index++) {
      const g = host * GPUS_PER_TRAY + index;
      // An idle rack runs no job: the field is left out, as wire v1 has it.
      const job = effects.idle[g] === 1 ? undefined : names[jobOfGpu[g]!]!;
      if (effects.missing[g] !== 1) writer.add(index, uuids[g]!, job, frame, g * METRIC_COUNT);
    }
    return writer.finish();
  }

  private writerFor(host: number): MessageWriter {
    const { cluster, hosts, racks } = this.topology;
    return new MessageWriter(cluster, racks[this.topology.rackOfHost(host)]!, hosts[host]!, GPUS_PER_TRAY);
  }
}

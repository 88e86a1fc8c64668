import type { Meter } from '@opentelemetry/api';
import type { JetStreamManager } from '@nats-io/jetstream';

/** A durable consumer: one partition's progress through a stream. */
export interface ConsumerRef {
  readonly stream: string;
  readonly consumer: string;
}

/**
 * Consumer lag and pending acknowledgements per partition (the consumers `consumers` lists at that moment), polled from JetStream (consumer info) at each collection.
 * A consumer that cannot be asked (NATS away, consumer not yet created) is left out of that collection rather than
 * reported as zero: a gap in the series is not a drained partition.
 */
export function observeConsumers(meter: Meter, jsm: JetStreamManager, consumers: () => readonly ConsumerRef[]): void {
  const pending = meter.createObservableGauge('kiln_consumer_pending_messages', {
    description: 'Messages in the stream not yet delivered to the consumer (its lag)',
  });
  const ackPending = meter.createObservableGauge('kiln_consumer_ack_pending_messages', {
    description: 'Messages delivered to the consumer and not yet acknowledged (in batches being made durable)',
  });
  const redelivered = meter.createObservableGauge('kiln_consumer_redelivered_messages', {
    description: 'Messages delivered more than once and not yet acknowledged',
  });
  meter.addBatchObservableCallback(
    async (result) => {
      // Asked at each collection: an aggregator's partitions change as instances come and go.
      const labelled = consumers().map((c) => ({ ref: c, attributes: { stream: c.stream, consumer: c.consumer } }));
      const infos = await Promise.all(
        labelled.map(({ ref }) => jsm.consumers.info(ref.stream, ref.consumer).catch(() => undefined)),
      );
      infos.forEach((info, i) => {
        if (info === undefined) return;
        const { attributes } = labelled[i]!;
        result.observe(pending, info.num_pending, attributes);
        result.observe(ackPending, info.num_ack_pending, attributes);
        result.observe(redelivered, info.num_redelivered, attributes);
      });
    },
    [pending, ackPending, redelivered],
  );
}

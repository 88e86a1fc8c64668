import { eventSubject, GPU_SUBJECT_PREFIX } from '@kiln/wire';

/**
 * Partitioning of the GPU stream by rack. Agents publish to the wire-contract subject
 * kiln.v1.gpu.<cluster>.<rack>.<host>; with more than one partition every NATS server of the account maps it to
 * kiln.v1.gpu.<cluster>.<rack>.<host>.<k>, k = partitionOf(rack, n) (@kiln/wire), before JetStream stores it. Each
 * partition is read by one durable consumer filtered on its token, so a rack's samples always reach one aggregator.
 *
 * The hash covers the rack token alone: nats-server 2.9 hashes a single token correctly (multi-token partition()
 * was fixed in 2.9.15), and rack names are what the partitioning is about.
 */

/** The account-level subject mapping for `partitions` partitions, as nats-server config text. */
export function partitionMapping(partitions: number): string {
  checkPartitions(partitions);
  const from = `${GPU_SUBJECT_PREFIX}.*.*.*`;
  const to = `${GPU_SUBJECT_PREFIX}.{{wildcard(1)}}.{{wildcard(2)}}.{{wildcard(3)}}.{{partition(${partitions},2)}}`;
  return `mappings = {\n  ${JSON.stringify(from)}: ${JSON.stringify(to)}\n}`;
}

/** The filter subject of partition k's consumer; with one partition, every sample subject. */
export function partitionFilter(partition: number, partitions: number): string {
  checkPartitions(partitions);
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new RangeError(`partition ${partition} is not in 0..${partitions - 1}`);
  }
  return partitions === 1 ? `${GPU_SUBJECT_PREFIX}.>` : `${GPU_SUBJECT_PREFIX}.*.*.*.${partition}`;
}

/**
 * Subjects an agent of one host may publish to: its own sample subject, the partitioned form the mapping checks, and
 * its own event subject (events are not mapped: see EVENT_STREAM).
 */
export function agentPublishSubjects(cluster: string, rack: string, host: string): string[] {
  const subject = `${GPU_SUBJECT_PREFIX}.${cluster}.${rack}.${host}`;
  return [subject, `${subject}.*`, eventSubject(cluster, rack, host)];
}

function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new RangeError(`partitions must be an integer in 1..1024, got ${partitions}`);
  }
}

/** Subject scheme of wire contract v1. */

export const GPU_SUBJECT_PREFIX = 'kiln.v1.gpu';
export const DLQ_SUBJECT_PREFIX = 'kiln.v1.dlq';
/** Every GPU sample subject: kiln.v1.gpu.<cluster>.<rack>.<host>. */
export const GPU_SUBJECTS = `${GPU_SUBJECT_PREFIX}.>`;
export const DLQ_SUBJECTS = `${DLQ_SUBJECT_PREFIX}.>`;

/** One subject token: cluster, rack and host names all match it. */
export const SUBJECT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isSubjectToken(s: string): boolean {
  return SUBJECT_TOKEN_PATTERN.test(s);
}

export function gpuSubject(cluster: string, rack: string, host: string): string {
  for (const t of [cluster, rack, host]) {
    if (!SUBJECT_TOKEN_PATTERN.test(t))
      throw new Error(`invalid subject token ${JSON.stringify(t)}: must match [A-Za-z0-9_-]{1,64}`);
  }
  return `${GPU_SUBJECT_PREFIX}.${cluster}.${rack}.${host}`;
}

export interface GpuSubjectParts {
  cluster: string;
  rack: string;
  host: string;
  /** The partition token the NATS servers' mapping appended (`partitionMapping` in @kiln/nats); absent unmapped. */
  partition?: number;
}

const PARTITION_TOKEN = /^(0|[1-9][0-9]{0,3})$/;

/**
 * Parses kiln.v1.gpu.<cluster>.<rack>.<host>, or the partitioned form kiln.v1.gpu.<cluster>.<rack>.<host>.<k> the
 * servers map it to; undefined when the subject is neither.
 */
export function parseGpuSubject(subject: string): GpuSubjectParts | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 && parts.length !== 7) return undefined;
  if (parts[0] !== 'kiln' || parts[1] !== 'v1' || parts[2] !== 'gpu') return undefined;
  const [, , , cluster, rack, host, partition] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (!SUBJECT_TOKEN_PATTERN.test(cluster) || !SUBJECT_TOKEN_PATTERN.test(rack) || !SUBJECT_TOKEN_PATTERN.test(host))
    return undefined;
  if (partition === undefined) return { cluster, rack, host };
  if (!PARTITION_TOKEN.test(partition)) return undefined;
  return { cluster, rack, host, partition: Number(partition) };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The partition of a rack among `partitions`: FNV-1a (32-bit) of the rack token modulo the count, the hash
 * nats-server's `{{partition(n,k)}}` subject mapping computes, so Kiln and the servers agree on every rack (tested
 * against a real server). Tokens are ASCII, so their UTF-16 code units are their bytes.
 */
export function partitionOf(rack: string, partitions: number): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < rack.length; i++) h = Math.imul(h ^ rack.charCodeAt(i), FNV_PRIME);
  return (h >>> 0) % partitions;
}

const GPU_SUBJECT_HEAD = `${GPU_SUBJECT_PREFIX}.`;
const DOT = 0x2e;

/**
 * Whether `subject` is gpuSubject(cluster, rack, host), for tokens already known to be valid: exactly that with one
 * partition, or that followed by `.<partitionOf(rack, partitions)>` (the servers' partition mapping; any partition
 * count maps to it). Compares in place instead of building the expected subject, since the decoder asks this once per
 * message.
 */
export function isGpuSubjectOf(subject: string, cluster: string, rack: string, host: string, partitions = 1): boolean {
  const rackAt = GPU_SUBJECT_HEAD.length + cluster.length + 1;
  const hostAt = rackAt + rack.length + 1;
  const end = hostAt + host.length;
  if (
    subject.length !== end &&
    !(subject.charCodeAt(end) === DOT && isPartitionToken(subject, end + 1, partitionOf(rack, partitions)))
  ) {
    return false;
  }
  return (
    (subject.length === end ? partitions === 1 : true) &&
    subject.startsWith(GPU_SUBJECT_HEAD) &&
    subject.startsWith(cluster, GPU_SUBJECT_HEAD.length) &&
    subject.charCodeAt(rackAt - 1) === DOT &&
    subject.startsWith(rack, rackAt) &&
    subject.charCodeAt(hostAt - 1) === DOT &&
    subject.startsWith(host, hostAt)
  );
}

/** Whether subject[from..] is exactly the decimal digits of `partition`. */
function isPartitionToken(subject: string, from: number, partition: number): boolean {
  let p = partition;
  let i = subject.length;
  do {
    if (--i < from || subject.charCodeAt(i) !== 0x30 + (p % 10)) return false;
    p = Math.floor(p / 10);
  } while (p > 0);
  return i === from;
}

/** The dead-letter subject for a reason: kiln.v1.dlq.<reason>. */
export function dlqSubject(reason: string): string {
  return `${DLQ_SUBJECT_PREFIX}.${reason}`;
}

/** Nats-Msg-Id of a sample message: <host>:<seq>. */
export function messageId(host: string, seq: number): string {
  return `${host}:${seq}`;
}

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
    if (!SUBJECT_TOKEN_PATTERN.test(t)) throw new Error(`invalid subject token ${JSON.stringify(t)}: must match [A-Za-z0-9_-]{1,64}`);
  }
  return `${GPU_SUBJECT_PREFIX}.${cluster}.${rack}.${host}`;
}

export interface GpuSubjectParts {
  cluster: string;
  rack: string;
  host: string;
}

/** Parses kiln.v1.gpu.<cluster>.<rack>.<host>; undefined when the subject is not one. */
export function parseGpuSubject(subject: string): GpuSubjectParts | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[0] !== 'kiln' || parts[1] !== 'v1' || parts[2] !== 'gpu') return undefined;
  const [, , , cluster, rack, host] = parts as [string, string, string, string, string, string];
  if (!SUBJECT_TOKEN_PATTERN.test(cluster) || !SUBJECT_TOKEN_PATTERN.test(rack) || !SUBJECT_TOKEN_PATTERN.test(host)) return undefined;
  return { cluster, rack, host };
}

const GPU_SUBJECT_HEAD = `${GPU_SUBJECT_PREFIX}.`;
const DOT = 0x2e;

/**
 * Whether `subject` is exactly gpuSubject(cluster, rack, host), for tokens already known to be valid. Compares in
 * place instead of building the expected subject, since the decoder asks this once per message.
 */
export function isGpuSubjectOf(subject: string, cluster: string, rack: string, host: string): boolean {
  const rackAt = GPU_SUBJECT_HEAD.length + cluster.length + 1;
  const hostAt = rackAt + rack.length + 1;
  return (
    subject.length === hostAt + host.length &&
    subject.startsWith(GPU_SUBJECT_HEAD) &&
    subject.startsWith(cluster, GPU_SUBJECT_HEAD.length) &&
    subject.charCodeAt(rackAt - 1) === DOT &&
    subject.startsWith(rack, rackAt) &&
    subject.charCodeAt(hostAt - 1) === DOT &&
    subject.startsWith(host, hostAt)
  );
}

/** The dead-letter subject for a reason: kiln.v1.dlq.<reason>. */
export function dlqSubject(reason: string): string {
  return `${DLQ_SUBJECT_PREFIX}.${reason}`;
}

/** Nats-Msg-Id of a sample message: <host>:<seq>. */
export function messageId(host: string, seq: number): string {
  return `${host}:${seq}`;
}

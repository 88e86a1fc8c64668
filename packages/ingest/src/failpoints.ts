/**
 * Faults for tests of exactly-once storage, set by KILN_FAILPOINTS: `after-insert=3` makes the process SIGKILL itself
 * the third time it passes `after-insert`; `lose-ack=1` makes it skip its first batch acknowledgement, as one lost on
 * the way to the consumer's leader. Unset (always, in production) a failpoint is one property lookup.
 */
const targets = new Map<string, number>();
const passes = new Map<string, number>();
for (const part of (process.env.KILN_FAILPOINTS ?? '').split(',')) {
  const [name, n] = part.split('=');
  if (name && n && Number(n) > 0) targets.set(name.trim(), Number(n));
}

export type FailpointName = 'after-intent' | 'after-insert' | 'after-checkpoint' | 'after-ack';

/** Whether this pass through `name` is the one KILN_FAILPOINTS names. */
function reached(name: string): boolean {
  if (targets.size === 0) return false;
  const target = targets.get(name);
  if (target === undefined) return false;
  const count = (passes.get(name) ?? 0) + 1;
  passes.set(name, count);
  return count === target;
}

export function failpoint(name: FailpointName): void {
  if (reached(name)) {
    process.stderr.write(`failpoint ${name}=${targets.get(name)}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/** True where KILN_FAILPOINTS asks for this acknowledgement to be lost. */
export function ackLost(): boolean {
  if (!reached('lose-ack')) return false;
  process.stderr.write(`failpoint lose-ack=${targets.get('lose-ack')}: acknowledgement not sent\n`);
  return true;
}

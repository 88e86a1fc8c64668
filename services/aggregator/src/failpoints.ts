/**
 * Crash points for tests of exactly-once storage: KILN_FAILPOINTS="after-insert=3" makes the process SIGKILL itself
 * the third time it passes `after-insert`. Unset (always, in production) a failpoint is one property lookup.
 */
const targets = new Map<string, number>();
const passes = new Map<string, number>();
for (const part of (process.env.KILN_FAILPOINTS ?? '').split(',')) {
  const [name, n] = part.split('=');
  if (name && n && Number(n) > 0) targets.set(name.trim(), Number(n));
}

export type FailpointName = 'after-intent' | 'after-insert' | 'after-checkpoint' | 'after-ack';

export function failpoint(name: FailpointName): void {
  if (targets.size === 0) return;
  const target = targets.get(name);
  if (target === undefined) return;
  const count = (passes.get(name) ?? 0) + 1;
  passes.set(name, count);
  if (count === target) {
    process.stderr.write(`failpoint ${name}=${target}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * Resolves with the first SIGINT or SIGTERM; a second one while shutting down exits at once. With `stopOnHangup`,
 * SIGHUP stops the command the same way: a command with nothing to reload stops cleanly on it (a closed terminal, a
 * supervisor's reload) instead of dying of Node's default action mid-write.
 */
export function untilSignal(options: { stopOnHangup?: boolean } = {}): Promise<NodeJS.Signals> {
  const signals: NodeJS.Signals[] = options.stopOnHangup ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, onSignal);
      const force = (): void => {
        process.stderr.write('kiln: second signal, exiting now\n');
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      // A SIGHUP during shutdown is not a request to hurry.
      if (options.stopOnHangup) process.on('SIGHUP', () => undefined);
      resolve(signal);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

/**
 * Runs `reload` on each SIGHUP (Alertmanager's and Prometheus' convention) instead of dying of it; one at a time, a
 * SIGHUP arriving meanwhile runs once more afterwards. Failures are the reload's to report. Returns the remover.
 */
export function onHangup(reload: () => Promise<void>): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  process.on('SIGHUP', run);
  return () => process.off('SIGHUP', run);
}

/** Resolves with the first SIGINT or SIGTERM; a second one while shutting down exits at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): void => {
        process.stderr.write('kiln: second signal, exiting now\n');
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
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

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, waitUntil, type RunningProcess } from '@kiln/testkit';

export { freePort } from '@kiln/testkit';
export type KilnProcess = RunningProcess;

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KILN_BIN = join(repo, 'services', 'cli', 'bin', 'kiln.js');

/** Runs `kiln <args>` as a real child process, the way an operator would. */
export function spawnKiln(name: string, args: string[], env: Record<string, string> = {}): KilnProcess {
  // Each process its own metrics port: several kiln processes share this host. E2E_LOG_LEVEL=info shows more of
  // what they do when a suite needs looking into.
  return startProcess(name, process.execPath, [KILN_BIN, ...args], {
    KILN_LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    KILN_METRICS_LISTEN: '127.0.0.1:0',
    ...env,
  });
}

/** `kiln store` serving the embedded engine on 127.0.0.1:`port`, once it answers /ping; its output in the error if not. */
export async function spawnKilnStore(configFile: string, port: number): Promise<{ process: KilnProcess; url: string }> {
  const store = spawnKiln('store', ['store', '--config', configFile]);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('kiln store to answer /ping', async () => (await fetch(`${url}/ping`)).ok, 60_000).catch(
    async (err: unknown) => {
      await store.stop();
      throw new Error(`${String(err)}\n${store.output()}`);
    },
  );
  return { process: store, url };
}

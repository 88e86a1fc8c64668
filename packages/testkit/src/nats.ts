import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import { tempDir } from './temp-dir.js';

export interface TestNatsServer extends NatsServerHandle {
  readonly dir: string;
  /** Stops the server and removes its store. */
  dispose(): Promise<void>;
}

/** A real nats-server with JetStream on a free loopback port, storing in a temp dir: one per suite. */
export async function startTestNatsServer(extraConfig?: string): Promise<TestNatsServer> {
  const dir = await tempDir('kiln-nats-');
  const server = await startNatsServer({ dir: dir.path, ...(extraConfig ? { extraConfig } : {}) });
  return Object.assign(server, {
    dir: dir.path,
    async dispose() {
      await server.stop();
      await dir.remove();
    },
  });
}

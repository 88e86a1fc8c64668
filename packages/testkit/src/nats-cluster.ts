import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import { freePort } from './process.js';
import { tempDir } from './temp-dir.js';

export interface TestNatsCluster {
  /** The nodes, in order; a killed node stays in the list. */
  readonly nodes: NatsServerHandle[];
  /** Every node's client URL: what `nats.url` lists. */
  readonly urls: string[];
  /** Stops every node still running and removes their stores. */
  dispose(): Promise<void>;
}

/**
 * A real JetStream cluster of `size` nats-server processes on loopback, each with its own store, routed to each
 * other; `extraConfig` goes into every node (mappings, authorization). Resolves once JetStream has elected its meta
 * leader and answers API requests.
 */
export async function startTestNatsCluster(size = 3, extraConfig = ''): Promise<TestNatsCluster> {
  const dir = await tempDir('kiln-nats-cluster-');
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => JSON.stringify(`nats-route://127.0.0.1:${p}`)).join(', ');
  const nodes = await Promise.all(
    routePorts.map((port, i) =>
      startNatsServer({
        dir: `${dir.path}/n${i + 1}`,
        name: `kiln-test-n${i + 1}`,
        extraConfig: [
          `cluster { name: kiln-test, listen: "127.0.0.1:${port}", routes: [${routes}] }`,
          extraConfig,
        ].join('\n'),
      }),
    ),
  );
  const urls = nodes.map((n) => n.url);
  const cluster: TestNatsCluster = {
    nodes,
    urls,
    async dispose() {
      await Promise.all(nodes.map((n) => n.stop()));
      await dir.remove();
    },
  };
  try {
    await waitForMetaLeader(urls);
  } catch (err) {
    await cluster.dispose();
    throw err;
  }
  return cluster;
}

/** Every node answers JetStream requests: the meta leader is elected and each server has joined it. */
async function waitForMetaLeader(urls: string[]): Promise<void> {
  for (const url of urls) {
    const nc = await connect({ servers: url });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          // Creating the manager asks JetStream for the account: it answers once the meta leader is elected.
          await jetstreamManager(nc, { timeout: 2_000 });
          break;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`the NATS cluster elected no JetStream leader within 30 s: ${String(err)}`);
          await sleep(200);
        }
      }
    } finally {
      await nc.close();
    }
  }
}

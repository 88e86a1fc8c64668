import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { freePort, startProcess, tempDir, waitUntil, type RunningProcess } from '@kiln/testkit';
import { mirrorBindMounts, mounts, type Compose, type ComposeService } from './compose.js';
import { confValue } from './nats-conf.js';

export interface ComposedNatsCluster {
  /** Client URLs on loopback, in the order of the services given. */
  readonly urls: string[];
  readonly nodes: readonly RunningProcess[];
  /** Each node's JetStream meta-group view (from its /jsz). */
  metaClusters(): Promise<MetaCluster[]>;
  dispose(): Promise<void>;
}

const metaClusterSchema = z
  .object({ name: z.string(), leader: z.string().optional(), cluster_size: z.number().int() })
  .passthrough();
export type MetaCluster = z.infer<typeof metaClusterSchema>;
const jszSchema = z.object({ meta_cluster: metaClusterSchema.optional() }).passthrough();

/**
 * Runs the compose file's NATS services as real nats-server processes on this machine: each service's bind mounts laid
 * out in its own directory as the container sees them, its configuration file and environment as compose gives them.
 * Only what a single machine needs changes: the JetStream store_dir moves under that directory (it must lie on the
 * service's data volume), and command-line flags put the client, monitoring and route ports on free loopback ports
 * with routes between them.
 */
export async function startComposedNatsCluster(
  compose: Compose,
  services: readonly ComposeService[],
): Promise<ComposedNatsCluster> {
  const dir = await tempDir('kiln-deploy-nats-');
  const ports = await Promise.all(
    services.map(async () => ({ client: await freePort(), http: await freePort(), route: await freePort() })),
  );
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');
  const nodes = services.map((service, i) => {
    const root = join(dir.path, service.name);
    mirrorBindMounts(compose, service, root);
    const command = service.command ?? [];
    const at = command.indexOf('-c');
    if (at < 0 || command[at + 1] === undefined)
      throw new Error(`${service.name}: expected -c <config file> in its command`);
    const configFile = join(root, command[at + 1]!);
    const volumes = mounts(compose, service).filter((m) => m.hostPath === undefined);
    const text = readFileSync(configFile, 'utf8');
    const storeDir = confValue(text, 'store_dir');
    if (storeDir === undefined || !volumes.some((v) => storeDir.startsWith(`${v.target}/`))) {
      throw new Error(
        `${service.name}: store_dir ${storeDir ?? '(unset)'} is not on one of its volumes (${volumes.map((v) => v.target).join(', ')})`,
      );
    }
    writeFileSync(configFile, text.replace(storeDir, join(root, storeDir)));
    const p = ports[i]!;
    const flags = [
      '-a',
      '127.0.0.1',
      '-p',
      String(p.client),
      '-m',
      String(p.http),
      '--cluster',
      `nats://127.0.0.1:${p.route}`,
      '--routes',
      routes,
    ];
    return startProcess(
      service.name,
      'nats-server',
      [...command, ...flags].map((a) => (a === command[at + 1] ? configFile : a)),
      service.environment,
    );
  });
  const cluster: ComposedNatsCluster = {
    urls: ports.map((p) => `nats://127.0.0.1:${p.client}`),
    nodes,
    async metaClusters() {
      return Promise.all(
        ports.map(async (p) => {
          const jsz = jszSchema.parse(await (await fetch(`http://127.0.0.1:${p.http}/jsz`)).json());
          if (!jsz.meta_cluster) throw new Error(`the server on port ${p.client} runs no JetStream cluster`);
          return jsz.meta_cluster;
        }),
      );
    },
    async dispose() {
      await Promise.all(nodes.map((n) => n.stop()));
      await dir.remove();
    },
  };
  try {
    await waitUntil(
      'a JetStream meta leader that every server agrees on',
      async () => {
        const dead = nodes.find((n) => !n.alive());
        if (dead) throw new Error(`${dead.name} exited:\n${dead.tail()}`);
        const views = await cluster.metaClusters();
        const leader = views[0]?.leader;
        return leader !== undefined && views.every((v) => v.leader === leader) && views;
      },
      20_000,
      200,
    );
  } catch (err) {
    const logs = nodes.map((n) => n.tail(15)).join('\n');
    await cluster.dispose();
    throw new Error(`${String(err)}\n${logs}`);
  }
  return cluster;
}

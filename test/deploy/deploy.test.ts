import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { KilnConfig } from '@kiln/config';
import { agentPublishSubjects, connectNats, ensureStreams, GPU_STREAM, partitionMapping } from '@kiln/nats';
import { tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject, partitionOf } from '@kiln/wire';
import { composeVariables, containerPorts, hostFileOf, loadCompose, mounts } from './compose.js';
import {
  composeDockerfile,
  composeProcesses,
  kubernetesProcesses,
  type DeployedProcess,
} from './deployed-processes.js';
import { readDockerfile } from './dockerfile.js';
import { loadManifests, resolvePort } from './k8s.js';
import { helpRun, hostPort, kilnConfig, scriptInRepo, unknownKilnVariables } from './kiln-process.js';
import { startComposedNatsCluster } from './nats-cluster.js';
import { confBlock, confPort, confValue, expandedConfig } from './nats-conf.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const deployDir = join(repoRoot, 'deploy');
const clusterDir = join(deployDir, 'nats', 'cluster');
const composeFile = join(deployDir, 'compose', 'docker-compose.yaml');
const kilnCli = join(repoRoot, 'services', 'cli', 'bin', 'kiln.js');

// Every variable the compose file uses gets an example value, as an operator's environment would give one.
const variables = Object.fromEntries(
  composeVariables(composeFile).map((name) => [name, `example-${name.toLowerCase()}`]),
);
const compose = loadCompose(composeFile, variables);
const manifests = loadManifests(join(deployDir, 'k8s'));
/** Kiln's images as the manifests name them (without the tag), and the Dockerfiles they are built from. */
const KILN_IMAGES = new Map([
  ['registry.example.net/kiln/kiln', readDockerfile(join(deployDir, 'Dockerfile'))],
  ['registry.example.net/kiln/agent', readDockerfile(join(deployDir, 'agent.Dockerfile'))],
]);
const processes = [...composeProcesses(compose), ...kubernetesProcesses(manifests, KILN_IMAGES)];
const configs = new Map<DeployedProcess, KilnConfig>();
const configOf = (p: DeployedProcess): KilnConfig => {
  let config = configs.get(p);
  if (!config) configs.set(p, (config = kilnConfig(p.configText, p.env, p.configSource)));
  return config;
};
/** Processes of the kiln command (aggregator, alerter, simulate …); agents run kiln-agent. */
const cliProcesses = processes.filter((p) => scriptInRepo(p.argv, p.image, repoRoot) === kilnCli);
const subcommand = (p: DeployedProcess): string | undefined => p.argv[2];

const natsNodes = readdirSync(clusterDir)
  .filter((f) => /^nats-\d+\.conf$/.test(f))
  .sort()
  .map((file) => {
    const text = expandedConfig(join(clusterDir, file));
    const cluster = confBlock(text, 'cluster') ?? '';
    const jetstreamBlock = confBlock(text, 'jetstream') ?? '';
    return {
      file,
      text,
      cluster,
      jetstream: jetstreamBlock,
      top: text.replace(cluster, '').replace(jetstreamBlock, ''),
    };
  });
const natsClientPort = confPort(natsNodes[0]?.top ?? '', 'listen');
const natsHttpPort = confPort(natsNodes[0]?.top ?? '', 'http');
/** The partition count of the servers' mapping. */
const mappedPartitions = Number(/\{\{partition\((\d+),/.exec(natsNodes[0]?.text ?? '')?.[1]);

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|NOTIFY|_KEY$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([\w][\w.-]{0,127})$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
  return tag !== undefined && tag !== 'latest';
}

/** Keys anywhere in a parsed YAML value. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  return [];
}

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('the Kiln processes of deploy/compose and deploy/k8s', () => {
  it('are the aggregators, the alerter, the simulator and the agents', () => {
    const composed = processes.filter((p) => p.compose).map((p) => `${p.compose!.name}: ${subcommand(p)}`);
    expect(composed.sort()).toEqual([
      'aggregator-1: aggregator',
      'aggregator-2: aggregator',
      'alerter-1: alerter',
      'alerter-2: alerter',
      'simulator: simulate',
    ]);
    const kube = processes.filter((p) => p.workload).map((p) => `${p.workload!.kind}/${p.workload!.metadata.name}`);
    expect(kube.sort()).toEqual(['DaemonSet/kiln-agent', 'Deployment/kiln-aggregator', 'Deployment/kiln-alerter']);
    // Any container of a Kiln image runs a Kiln script, so none escapes the checks below.
    for (const w of manifests.workloads) {
      for (const c of [...w.spec.template.spec.initContainers, ...w.spec.template.spec.containers]) {
        if (c.image.includes('/kiln/'))
          expect(
            processes.some((p) => p.container === c),
            `${w.metadata.name}/${c.name}`,
          ).toBe(true);
      }
    }
  });

  it('read valid Kiln configurations holding no secrets, and every KILN_ variable they get names a key', () => {
    for (const p of processes) {
      expect(() => configOf(p), p.where).not.toThrow();
      expect(unknownKilnVariables(Object.keys(p.env)), p.where).toEqual([]);
      const secretKeys = keysOf(parse(p.configText)).filter((k) => /password|token|routing_key|secret/i.test(k));
      expect(secretKeys, `${p.where}: ${p.configSource}`).toEqual([]);
    }
  });

  it('run existing commands with options they accept', async () => {
    const distinct = new Map(processes.map((p) => [p.argv.join(' '), p]));
    const runs = await Promise.all(
      [...distinct.values()].map(async (p) => ({ p, ...(await helpRun(p.argv, p.image, repoRoot)) })),
    );
    for (const { p, code, output } of runs) {
      const script = scriptInRepo(p.argv, p.image, repoRoot);
      // `kiln --help` alone prints the general usage: a subcommand's usage proves the subcommand exists.
      const usage =
        script === kilnCli ? `usage: kiln ${subcommand(p)} ` : `usage: ${basename(script).replace(/\.m?js$/, '')} `;
      expect({ code, usage: output.startsWith(usage) }, `${p.where}: ${p.argv.join(' ')}\n${output}`).toEqual({
        code: 0,
        usage: true,
      });
    }
  });

  it('agree with the NATS cluster on partitions, replicas and the client port, and listen beyond loopback', () => {
    expect(natsClientPort).toBeGreaterThan(0);
    for (const p of processes) {
      const config = configOf(p);
      const urls = [config.nats.url ?? []].flat();
      expect(urls, p.where).toHaveLength(natsNodes.length);
      for (const url of urls) expect(hostPort(url).port, `${p.where}: ${url}`).toBe(natsClientPort);
      // Agents publish the unmapped subject and take no partition count; the kiln processes all use the mapped one.
      if (cliProcesses.includes(p)) {
        expect(config.nats.partitions, p.where).toBe(mappedPartitions);
        expect(config.nats.replicas, p.where).toBe(natsNodes.length);
        // Probes, Prometheus and published ports reach these from outside the container.
        expect(LOOPBACK.has(hostPort(config.metrics.listen).host), `${p.where}: metrics.listen`).toBe(false);
        if (subcommand(p) === 'alerter')
          expect(LOOPBACK.has(hostPort(config.alerter.listen).host), `${p.where}: alerter.listen`).toBe(false);
      }
    }
  });
});

describe('deploy/compose', () => {
  const service = (name: string) => {
    const s = compose.services.get(name);
    if (!s) throw new Error(`compose has no service ${name}`);
    return s;
  };
  const composed = processes.filter((p) => p.compose);

  it("runs Kiln's image built from deploy/Dockerfile and pinned third-party images", () => {
    for (const s of compose.services.values()) {
      const dockerfile = composeDockerfile(compose, s);
      if (dockerfile) {
        expect(dockerfile, s.name).toBe(join(deployDir, 'Dockerfile'));
        for (const base of readDockerfile(dockerfile).baseImages)
          expect(isPinned(base), `${dockerfile}: FROM ${base}`).toBe(true);
      } else {
        expect(isPinned(s.image ?? ''), `${s.name}: image ${s.image ?? '(none)'}`).toBe(true);
      }
    }
  });

  it('mounts files that exist in the repository, and volumes it declares', () => {
    for (const s of compose.services.values()) {
      for (const m of mounts(compose, s)) {
        if (m.hostPath !== undefined) expect(existsSync(m.hostPath), `${s.name}: ${m.source}`).toBe(true);
        else expect(compose.namedVolumes.has(m.source), `${s.name}: volume ${m.source}`).toBe(true);
      }
      for (const dependency of Object.keys(s.depends_on))
        expect(compose.services.has(dependency), `${s.name} depends on ${dependency}`).toBe(true);
    }
  });

  it('wires NATS, ClickHouse, metrics, the alerter, Prometheus and Grafana to the ports they listen on', () => {
    const urlIn = (test: readonly string[] | undefined): string | undefined =>
      test?.find((t) => /https?:\/\//.exec(t) !== null)?.match(/https?:\/\/[^'"\s)]+/)?.[0];
    for (const p of composed) {
      const config = configOf(p);
      for (const url of [config.nats.url ?? []].flat()) {
        const nats = service(hostPort(url).host);
        expect(
          nats.command?.some((a) => /\/nats-\d+\.conf$/.test(a)),
          `${p.where}: ${url} runs a server of deploy/nats/cluster`,
        ).toBe(true);
        expect(hostPort(urlIn(nats.healthcheck?.test) ?? '').port, `${nats.name} health check`).toBe(natsHttpPort);
      }
      const clickhouse = hostPort(config.clickhouse.url ?? '');
      const server = service(clickhouse.host);
      expect(containerPorts(server), `${p.where}: clickhouse.url`).toContain(clickhouse.port);
      expect(hostPort(urlIn(server.healthcheck?.test) ?? '').port, `${server.name} health check`).toBe(clickhouse.port);
      const metricsPort = hostPort(config.metrics.listen).port;
      if (p.compose!.healthcheck) {
        const url = urlIn(p.compose!.healthcheck.test) ?? '';
        expect({ port: hostPort(url).port, path: new URL(url).pathname }, `${p.where} health check`).toEqual({
          port: metricsPort,
          path: '/readyz',
        });
      }
      if (subcommand(p) === 'alerter')
        expect(containerPorts(p.compose!), p.where).toContain(hostPort(config.alerter.listen).port);
    }

    // Grafana reads the ClickHouse the Kiln processes write, and the Prometheus that scrapes every process with metrics.
    const grafana = service('grafana').environment;
    const clickhouse = hostPort(configOf(composed[0]!).clickhouse.url ?? '');
    expect({ host: grafana.KILN_CLICKHOUSE_HOST, port: Number(grafana.KILN_CLICKHOUSE_PORT) }).toEqual(clickhouse);
    const promUrl = hostPort(grafana.KILN_PROMETHEUS_URL ?? '');
    const prometheus = service(promUrl.host);
    expect(containerPorts(prometheus)).toContain(promUrl.port);
    const promFile = hostFileOf(compose, prometheus, '/etc/prometheus/prometheus.yml');
    expect(promFile && existsSync(promFile), 'prometheus.yml is mounted').toBe(true);
    const scrape = z
      .object({
        scrape_configs: z.array(
          z.object({ static_configs: z.array(z.object({ targets: z.array(z.string()) })) }).passthrough(),
        ),
      })
      .passthrough()
      .parse(parse(readFileSync(promFile!, 'utf8')));
    const targets = scrape.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    const withMetrics = composed
      .filter((p) => p.compose!.healthcheck)
      .map((p) => `${p.compose!.name}:${hostPort(configOf(p).metrics.listen).port}`);
    expect(targets.sort()).toEqual(withMetrics.sort());
  });

  it('keeps passwords in the environment of the Docker host', () => {
    for (const s of compose.services.values()) {
      for (const [name, value] of Object.entries(s.environment)) {
        if (SECRET_NAME.test(name))
          expect(Object.values(variables), `${s.name}: ${name} comes from a variable`).toContain(value);
      }
    }
  });

  it('runs the NATS servers of deploy/nats/cluster as a JetStream cluster that files each sample under its rack’s partition', async () => {
    const natsServices = [...compose.services.values()].filter((s) =>
      s.command?.some((a) => /\/nats-\d+\.conf$/.test(a)),
    );
    expect(natsServices.map((s) => s.name)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    const cluster = await startComposedNatsCluster(compose, natsServices);
    cleanup.push(() => cluster.dispose());
    // A server reports the meta cluster's size as it has seen its peers so far: wait for all three to see all three.
    const sizes = async () => (await cluster.metaClusters()).map((v) => ({ name: v.name, size: v.cluster_size }));
    const formed = (views: { name: string | undefined; size: number | undefined }[]) =>
      views.length === 3 && views.every((v) => v.name === 'kiln' && v.size === 3);
    await waitUntil('the three servers to form one meta cluster', async () => formed(await sizes()), 20_000, 100).catch(
      async (err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify(await sizes())}`);
      },
    );

    // The simulator's own configuration and credentials, pointed at the loopback ports.
    const simulator = composed.find((p) => subcommand(p) === 'simulate')!;
    const config = configOf(simulator);
    const nc = await connectNats(config.nats, { name: 'kiln-deploy-test', servers: cluster.urls });
    cleanup.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: config.nats.replicas });
    const subject = gpuSubject(config.simulate.cluster, 'r0003', 'r0003-t07');
    const ack = await jetstream(nc).publish(subject, '{}');
    expect(ack.stream).toBe(GPU_STREAM);
    const stored = await jsm.streams.getMessage(GPU_STREAM, { seq: ack.seq });
    expect(stored?.subject).toBe(`${subject}.${partitionOf('r0003', config.nats.partitions)}`);
    const info = await jsm.streams.info(GPU_STREAM);
    expect(1 + (info.cluster?.replicas?.length ?? 0)).toBe(3);
  });
});

describe('deploy/agent.Dockerfile', () => {
  const dockerfile = join(deployDir, 'agent.Dockerfile');
  const image = KILN_IMAGES.get('registry.example.net/kiln/agent')!;

  it("builds on a pinned Node.js 20 slim image and runs as the DaemonSet's non-root user", () => {
    expect(image.baseImages).toHaveLength(1);
    for (const base of image.baseImages) {
      expect(isPinned(base), base).toBe(true);
      expect(base).toMatch(/^node:20(\.\d+)*-(\w+-)?slim$/);
    }
    const agents = processes.filter((p) => p.image === image);
    expect(agents.map((p) => p.where)).toEqual(['k8s agent-daemonset.yaml DaemonSet/kiln-agent agent']);
    const pod = z
      .object({ securityContext: z.object({ runAsUser: z.number(), runAsGroup: z.number() }) })
      .parse(agents[0]!.workload!.spec.template.spec);
    expect(image.user).toBe(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
  });

  it('copies the agent bundle a build makes, which its build context lets through, and runs it', () => {
    const context = readFileSync(`${dockerfile}.dockerignore`, 'utf8').split('\n');
    expect(context).toContain('*');
    expect(image.copies.size).toBeGreaterThan(0);
    for (const source of image.copies.values()) {
      expect(existsSync(join(repoRoot, source)), `COPY ${source}: run npm run build first`).toBe(true);
      expect(context, `${source} in the build context`).toContain(`!${source}`);
    }
    expect(image.entrypoint[0]).toBe('node');
    expect(image.copies.get(image.entrypoint[1]!)).toBe('services/agent/dist/bundle/kiln-agent.mjs');
  });
});

describe('deploy/k8s', () => {
  const deployments = processes.filter((p) => p.workload?.kind === 'Deployment');

  it('pins every image; Kiln images run a script that exists in the image built from their Dockerfile', () => {
    for (const w of manifests.workloads) {
      for (const c of [...w.spec.template.spec.initContainers, ...w.spec.template.spec.containers]) {
        expect(isPinned(c.image), `${w.metadata.name}/${c.name}: ${c.image}`).toBe(true);
      }
    }
    for (const p of processes.filter((q) => q.workload))
      expect(existsSync(scriptInRepo(p.argv, p.image, repoRoot)), p.where).toBe(true);
  });

  it('runs at least two aggregators and two alerters, each alerter advertising an address the other reaches', () => {
    const spec = (name: string) => manifests.workloads.find((w) => w.metadata.name === name)?.spec;
    expect(spec('kiln-aggregator')?.replicas).toBeGreaterThanOrEqual(2);
    expect(spec('kiln-alerter')?.replicas).toBeGreaterThanOrEqual(2);
    const alerters = processes.filter((p) => subcommand(p) === 'alerter');
    expect(alerters.filter((p) => p.compose)).toHaveLength(2);
    for (const p of alerters) {
      const advertised = new URL(configOf(p).alerter.advertise_url ?? '');
      expect(advertised.port, p.where).toBe(String(hostPort(configOf(p).alerter.listen).port));
      if (p.compose) expect(advertised.hostname, p.where).toBe(p.compose.name);
      else expect(advertised.hostname, p.where).toBe('10.244.3.17'); // the pod's IP (status.podIP)
    }
  });

  it('probes /healthz and /readyz on metrics.listen, and Services reach ports the pods listen on', () => {
    for (const p of deployments) {
      const config = configOf(p);
      const containers = [p.container!];
      const probe = (kind: 'livenessProbe' | 'readinessProbe') => {
        const get = p.container![kind]?.httpGet;
        return get && { path: get.path, port: resolvePort(containers, get.port) };
      };
      const metricsPort = hostPort(config.metrics.listen).port;
      expect({ liveness: probe('livenessProbe'), readiness: probe('readinessProbe') }, p.where).toEqual({
        liveness: { path: '/healthz', port: metricsPort },
        readiness: { path: '/readyz', port: metricsPort },
      });
      if (subcommand(p) === 'alerter')
        expect(resolvePort(containers, hostPort(config.alerter.listen).port), p.where).toBeDefined();
      // The ClickHouse server's HTTP interface, on the port the compose ClickHouse serves it.
      expect(hostPort(config.clickhouse.url ?? '').port, p.where).toBe(
        containerPorts(compose.services.get('clickhouse')!)[0],
      );
    }
    expect(manifests.services.length).toBeGreaterThan(0);
    for (const s of manifests.services) {
      const pods = manifests.workloads.filter((w) =>
        Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      expect(pods.length, `Service ${s.metadata.name} selects a workload`).toBeGreaterThan(0);
      for (const port of s.spec.ports) {
        for (const w of pods) {
          expect(
            resolvePort(w.spec.template.spec.containers, port.targetPort ?? port.port),
            `Service ${s.metadata.name} port ${port.port}`,
          ).toBeDefined();
        }
      }
    }
  });

  it('references Secrets without inlining them, and the operator notes name every Secret and outside ConfigMap', () => {
    expect(manifests.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const notes = readFileSync(join(deployDir, 'README.md'), 'utf8');
    for (const w of manifests.workloads) {
      const pod = w.spec.template.spec;
      for (const c of [...pod.initContainers, ...pod.containers]) {
        for (const e of c.env) {
          if (SECRET_NAME.test(e.name))
            expect(e.valueFrom?.secretKeyRef, `${w.metadata.name}/${c.name}: ${e.name}`).toBeDefined();
          const ref = e.valueFrom?.secretKeyRef;
          if (ref)
            expect(notes, `Secret ${ref.name} key ${ref.key}`).toMatch(
              new RegExp(`${ref.name}\\b[^\\n]*\\b${ref.key}\\b`),
            );
        }
      }
      for (const v of pod.volumes) {
        if (v.configMap && !manifests.configMaps.has(v.configMap.name))
          expect(notes, `ConfigMap ${v.configMap.name}`).toContain(v.configMap.name);
        if (v.secret) expect(notes, `Secret ${v.secret.secretName}`).toContain(v.secret.secretName);
      }
    }
  });
});

describe('deploy/nats/cluster', () => {
  it('holds three servers with their own names and stores, routed to each other as one cluster', () => {
    expect(natsNodes.map((n) => n.file)).toEqual(['nats-1.conf', 'nats-2.conf', 'nats-3.conf']);
    const names = natsNodes.map((n) => confValue(n.top, 'server_name'));
    const stores = natsNodes.map((n) => confValue(n.jetstream, 'store_dir'));
    expect(new Set(names).size).toBe(3);
    expect(new Set(stores).size).toBe(3);
    for (const n of natsNodes) {
      expect(confValue(n.cluster, 'name'), n.file).toBe('kiln');
      expect(n.cluster.match(/nats-route:\/\//g), n.file).toHaveLength(3);
    }
  });

  it('carries exactly partitionMapping(n), n being the Kiln processes’ nats.partitions, and nothing else mapped', () => {
    expect(mappedPartitions).toBeGreaterThan(1);
    const expected = partitionMapping(mappedPartitions)
      .split('\n')
      .map((l) => l.trim());
    for (const n of natsNodes) {
      expect(n.text.match(/^\s*mappings\b/gm), n.file).toHaveLength(1);
      // Mappings belong to an account: the one Kiln's users are in.
      const kilnAccount = confBlock(confBlock(n.text, 'accounts') ?? '', 'KILN') ?? '';
      expect(kilnAccount, `${n.file}: the KILN account`).toMatch(/users\s*=\s*\[/);
      expect(
        confBlock(kilnAccount, 'mappings')
          ?.split('\n')
          .map((l) => l.trim()),
        n.file,
      ).toEqual(expected);
    }
  });

  it('each server configuration passes nats-server -t with Kiln’s users and TLS', async () => {
    const dir = await tempDir('kiln-deploy-nats-t-');
    cleanup.push(() => dir.remove());
    // The layout of deploy/nats (cluster/accounts.conf includes ../kiln-auth.conf), with TLS files made here.
    cpSync(clusterDir, join(dir.path, 'cluster'), { recursive: true });
    cpSync(join(deployDir, 'nats', 'kiln-auth.conf'), join(dir.path, 'kiln-auth.conf'));
    const cert = join(dir.path, 'server.pem');
    const key = join(dir.path, 'server-key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=kiln-nats',
        '-addext',
        'subjectAltName=DNS:nats-1,DNS:nats-2,DNS:nats-3',
      ],
      { stdio: 'pipe' },
    );
    for (const file of ['tls.conf', 'route-tls.conf']) {
      const path = join(dir.path, 'cluster', file);
      let text = readFileSync(path, 'utf8');
      for (const [from, to] of [
        ['/etc/nats/tls/server.pem', cert],
        ['/etc/nats/tls/server-key.pem', key],
        ['/etc/nats/tls/ca.pem', cert],
      ] as const) {
        expect(text, file).toContain(from);
        text = text.replace(from, to);
      }
      writeFileSync(path, text);
    }
    for (const n of natsNodes) {
      const check = spawnSync('nats-server', ['-t', '-c', join(dir.path, 'cluster', n.file)], { encoding: 'utf8' });
      expect({ status: check.status, output: check.stdout + check.stderr }, n.file).toEqual({
        status: 0,
        output: expect.stringMatching(/is valid/),
      });
    }
  });

  it('lets each agent publish exactly agentPublishSubjects, in agent-users.sh and in kiln-auth.conf', () => {
    const nkey = 'UC3HN646SKATQCK5ZJQSYYP3HOEJDAGKM6WEWQ3RBHPFFDIBGCFIAN6E';
    const entry = execFileSync(join(deployDir, 'nats', 'agent-users.sh'), {
      input: `c1 r5 r5-t01 ${nkey}\n`,
      encoding: 'utf8',
    });
    const allowOf = (line: string) =>
      z.array(z.string()).parse(JSON.parse(/publish: \{ allow: (\[[^\]]*\])/.exec(line)?.[1] ?? 'null'));
    expect(allowOf(entry)).toEqual(agentPublishSubjects('c1', 'r5', 'r5-t01'));

    const agents = readFileSync(join(deployDir, 'nats', 'kiln-auth.conf'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('publish: { allow:'));
    expect(agents.length).toBeGreaterThanOrEqual(2);
    for (const line of agents) {
      const [, cluster, rack, host] = /"kiln\.v1\.gpu\.([^.]+)\.([^.]+)\.([^."]+)"/.exec(line) ?? [];
      expect(allowOf(line), line).toEqual(agentPublishSubjects(cluster!, rack!, host!));
    }
  });
});

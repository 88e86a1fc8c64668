import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

/** The parts of Kubernetes manifests the deployment checks read; the rest passes through unchecked. */
const metadataSchema = z
  .object({ name: z.string(), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).default({}) })
  .passthrough();
const objectSchema = z.object({ apiVersion: z.string(), kind: z.string(), metadata: metadataSchema }).passthrough();

const envVarSchema = z
  .object({
    name: z.string(),
    value: z.string().optional(),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({ name: z.string(), key: z.string(), optional: z.boolean().optional() })
          .strict()
          .optional(),
        fieldRef: z.object({ fieldPath: z.string() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const probeSchema = z
  .object({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }).passthrough() })
  .passthrough();
const containerSchema = z
  .object({
    name: z.string(),
    image: z.string(),
    command: z.array(z.string()).default([]),
    args: z.array(z.string()).default([]),
    env: z.array(envVarSchema).default([]),
    ports: z
      .array(z.object({ name: z.string().optional(), containerPort: z.number().int() }).passthrough())
      .default([]),
    livenessProbe: probeSchema.optional(),
    readinessProbe: probeSchema.optional(),
    volumeMounts: z
      .array(z.object({ name: z.string(), mountPath: z.string(), subPath: z.string().optional() }).passthrough())
      .default([]),
  })
  .passthrough();
const volumeSchema = z
  .object({
    name: z.string(),
    configMap: z.object({ name: z.string() }).passthrough().optional(),
    secret: z.object({ secretName: z.string() }).passthrough().optional(),
  })
  .passthrough();
const workloadSchema = objectSchema.extend({
  kind: z.enum(['Deployment', 'DaemonSet', 'StatefulSet']),
  spec: z
    .object({
      replicas: z.number().int().optional(),
      strategy: z.object({ type: z.string() }).passthrough().optional(),
      template: z.object({
        metadata: z.object({ labels: z.record(z.string(), z.string()) }).passthrough(),
        spec: z
          .object({
            containers: z.array(containerSchema).min(1),
            initContainers: z.array(containerSchema).default([]),
            volumes: z.array(volumeSchema).default([]),
          })
          .passthrough(),
      }),
    })
    .passthrough(),
});
const configMapSchema = objectSchema.extend({ kind: z.literal('ConfigMap'), data: z.record(z.string(), z.string()) });
const serviceSchema = objectSchema.extend({
  kind: z.literal('Service'),
  spec: z
    .object({
      selector: z.record(z.string(), z.string()),
      ports: z.array(
        z
          .object({
            name: z.string().optional(),
            port: z.number().int(),
            targetPort: z.union([z.string(), z.number()]).optional(),
          })
          .passthrough(),
      ),
    })
    .passthrough(),
});

export type Workload = z.infer<typeof workloadSchema> & { readonly file: string };
export type Container = z.infer<typeof containerSchema>;
export type ConfigMap = z.infer<typeof configMapSchema>;
export type KubeService = z.infer<typeof serviceSchema>;

export interface Manifests {
  /** Every object, as `<file>: <Kind>/<name>`. */
  readonly objects: readonly { readonly file: string; readonly kind: string; readonly name: string }[];
  readonly workloads: readonly Workload[];
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  readonly services: readonly KubeService[];
}

/** Every YAML document of every .yaml file in `dir`, each validated where a check reads it. */
export function loadManifests(dir: string): Manifests {
  const objects: { file: string; kind: string; name: string }[] = [];
  const workloads: Workload[] = [];
  const configMaps = new Map<string, ConfigMap>();
  const services: KubeService[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const raw: unknown = doc.toJS();
      const object = objectSchema.parse(raw);
      objects.push({ file, kind: object.kind, name: object.metadata.name });
      if (workloadSchema.shape.kind.safeParse(object.kind).success)
        workloads.push({ ...workloadSchema.parse(raw), file });
      else if (object.kind === 'ConfigMap') configMaps.set(object.metadata.name, configMapSchema.parse(raw));
      else if (object.kind === 'Service') services.push(serviceSchema.parse(raw));
    }
  }
  return { objects, workloads, configMaps, services };
}

/** The container's port number for a probe's or a Service's port, given by name or number. */
export function resolvePort(containers: readonly Container[], port: string | number): number | undefined {
  if (typeof port === 'number')
    return containers.some((c) => c.ports.some((p) => p.containerPort === port)) ? port : undefined;
  for (const c of containers) for (const p of c.ports) if (p.name === port) return p.containerPort;
  return undefined;
}

/** The ConfigMap entry a container reads at `path`, through its volume mounts (a subPath file or a mounted directory). */
export function configMapFileOf(
  workload: Workload,
  container: Container,
  path: string,
): { readonly configMap: string; readonly key: string } | undefined {
  for (const mount of container.volumeMounts) {
    const volume = workload.spec.template.spec.volumes.find((v) => v.name === mount.name);
    if (!volume?.configMap) continue;
    if (mount.subPath !== undefined && path === mount.mountPath)
      return { configMap: volume.configMap.name, key: mount.subPath };
    if (
      mount.subPath === undefined &&
      path.startsWith(`${mount.mountPath}/`) &&
      !path.slice(mount.mountPath.length + 1).includes('/')
    ) {
      return { configMap: volume.configMap.name, key: basename(path) };
    }
  }
  return undefined;
}

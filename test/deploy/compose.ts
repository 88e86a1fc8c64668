import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** The parts of a docker-compose file the deployment checks read; the rest passes through unchecked. */
const serviceSchema = z
  .object({
    image: z.string().optional(),
    build: z.object({ context: z.string(), dockerfile: z.string() }).strict().optional(),
    command: z.array(z.string()).optional(),
    environment: z.record(z.string(), z.string()).default({}),
    volumes: z.array(z.string()).default([]),
    ports: z.array(z.string()).default([]),
    healthcheck: z
      .object({ test: z.array(z.string()) })
      .passthrough()
      .optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.string() })).default({}),
  })
  .passthrough();
const composeSchema = z
  .object({
    services: z.record(z.string(), serviceSchema),
    volumes: z.record(z.string(), z.null()).default({}),
  })
  .passthrough();

export type ComposeService = z.infer<typeof serviceSchema> & { readonly name: string };

export interface Compose {
  readonly file: string;
  readonly services: ReadonlyMap<string, ComposeService>;
  readonly namedVolumes: ReadonlySet<string>;
}

/** A volume entry `source:target[:mode]`: a bind mount when the source is a path, else a named volume. */
export interface Mount {
  readonly source: string;
  readonly target: string;
  /** Absolute path on the Docker host for a bind mount; undefined for a named volume. */
  readonly hostPath: string | undefined;
}

/**
 * Reads a compose file as `docker compose` does: YAML merge keys (`<<: *anchor`), then `${VAR}`, `${VAR:-default}` and
 * `${VAR:?error}` from `variables`. A variable that is neither set nor defaulted fails, as it does for compose.
 */
export function loadCompose(file: string, variables: Readonly<Record<string, string>>): Compose {
  const raw: unknown = parse(readFileSync(file, 'utf8'), { merge: true });
  const parsed = composeSchema.parse(interpolate(raw, variables));
  const services = new Map<string, ComposeService>();
  for (const [name, service] of Object.entries(parsed.services)) services.set(name, { ...service, name });
  return { file, services, namedVolumes: new Set(Object.keys(parsed.volumes)) };
}

/** Every `${NAME…}` the file refers to, so a test can give each one a value. */
export function composeVariables(file: string): string[] {
  const names = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return [...names];
}

export function mounts(compose: Compose, service: ComposeService): Mount[] {
  return service.volumes.map((entry) => {
    const [source, target] = entry.split(':');
    if (!source || !target) throw new Error(`${service.name}: volume '${entry}' is not source:target[:mode]`);
    const bind = source.startsWith('.') || isAbsolute(source);
    return { source, target, hostPath: bind ? resolve(dirname(compose.file), source) : undefined };
  });
}

/** The container port of each `ports` entry ([host-ip:][host-port:]container-port). */
export function containerPorts(service: ComposeService): number[] {
  return service.ports.map((p) => Number(p.split(':').at(-1)));
}

/**
 * Lays out under `root` what the container sees of the bind mounts: each source copied to root + target, parents
 * before the files mounted on top of them (as Docker orders nested mounts). Named volumes are left empty.
 */
export function mirrorBindMounts(compose: Compose, service: ComposeService, root: string): void {
  const binds = mounts(compose, service).filter((m) => m.hostPath !== undefined);
  binds.sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const m of binds) {
    const to = join(root, m.target);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(m.hostPath!, to, { recursive: true });
  }
}

/** The host file a container path reads, through the service's bind mounts (the deepest mount wins). */
export function hostFileOf(compose: Compose, service: ComposeService, containerPath: string): string | undefined {
  let best: { mount: Mount; depth: number } | undefined;
  for (const mount of mounts(compose, service)) {
    if (mount.hostPath === undefined) continue;
    if (containerPath !== mount.target && !containerPath.startsWith(`${mount.target}/`)) continue;
    const depth = mount.target.length;
    if (!best || depth > best.depth) best = { mount, depth };
  }
  return best && join(best.mount.hostPath!, containerPath.slice(best.mount.target.length));
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

function interpolate(value: unknown, variables: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      VARIABLE,
      (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
        if (name === undefined) return '$';
        const set = variables[name];
        if (set !== undefined && (set !== '' || op === undefined || !op.startsWith(':'))) return set;
        if (op?.endsWith('-')) return arg ?? '';
        throw new Error(`compose variable ${name} is required: ${arg ?? whole}`);
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, variables));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, variables)]));
  }
  return value;
}

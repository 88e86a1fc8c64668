import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostFileOf, type Compose, type ComposeService } from './compose.js';
import { readDockerfile, type Dockerfile } from './dockerfile.js';
import { configMapFileOf, type Container, type Manifests, type Workload } from './k8s.js';
import { configPathOf, isKilnCommand } from './kiln-process.js';

/** One Kiln process a deployment runs, with what it reads. */
export interface DeployedProcess {
  /** `compose aggregator-1`, `k8s aggregator.yaml Deployment/kiln-aggregator aggregator`. */
  readonly where: string;
  /** The command line in the container, entrypoint included. */
  readonly argv: readonly string[];
  /** The Dockerfile its image is built from. */
  readonly image: Dockerfile;
  /** Environment: literal values, and example values for what Secrets and the Downward API fill in. */
  readonly env: Readonly<Record<string, string>>;
  /** The Kiln configuration file it reads (--config), and where that text comes from. */
  readonly configText: string;
  readonly configSource: string;
  readonly compose?: ComposeService;
  readonly workload?: Workload;
  readonly container?: Container;
}

/** Example values for the fields the Downward API fills in, shaped as Kubernetes fills them. */
const FIELD_EXAMPLES: Readonly<Record<string, string>> = {
  'metadata.name': 'kiln-aggregator-6d5f8b7c9d-x2x7k',
  'spec.nodeName': 'gb300-r0042-t07',
  'status.hostIP': '10.20.30.40',
  'status.podIP': '10.244.3.17',
};

/** Example values of Secrets by key (the notify list is YAML, as deploy/README.md describes); other keys are strings. */
const SECRET_EXAMPLES: Readonly<Record<string, string>> = {
  notify: '[{ type: pagerduty, routing_key: example-routing-key }]',
};

/** The Dockerfile a compose service builds from, or undefined for a service that pulls an image. */
export function composeDockerfile(compose: Compose, service: ComposeService): string | undefined {
  return service.build && resolve(dirname(compose.file), service.build.context, service.build.dockerfile);
}

/** Every compose service built from Kiln's Dockerfile, with the configuration file it mounts. */
export function composeProcesses(compose: Compose): DeployedProcess[] {
  const out: DeployedProcess[] = [];
  for (const service of compose.services.values()) {
    const dockerfile = composeDockerfile(compose, service);
    if (dockerfile === undefined) continue;
    const where = `compose ${service.name}`;
    if (!existsSync(dockerfile)) throw new Error(`${where}: builds from ${dockerfile}, which does not exist`);
    const image = readDockerfile(dockerfile);
    const argv = [...image.entrypoint, ...(service.command ?? [])];
    const configPath = configPathOf(argv);
    const configFile = configPath === undefined ? undefined : hostFileOf(compose, service, configPath);
    if (configFile === undefined || !existsSync(configFile))
      throw new Error(`${where}: --config ${configPath ?? '(none)'} is not a file it mounts`);
    out.push({
      where,
      argv,
      image,
      env: service.environment,
      configText: readFileSync(configFile, 'utf8'),
      configSource: configFile,
      compose: service,
    });
  }
  return out;
}

/**
 * Every container of the manifests that runs one of Kiln's images (`images`: by image name without its tag) with a
 * Kiln script (`node <WORKDIR>/…`), with the ConfigMap entry it reads. As Kubernetes does, a container without a
 * command runs the image's ENTRYPOINT with its args.
 */
export function kubernetesProcesses(manifests: Manifests, images: ReadonlyMap<string, Dockerfile>): DeployedProcess[] {
  const out: DeployedProcess[] = [];
  for (const workload of manifests.workloads) {
    const pod = workload.spec.template.spec;
    for (const container of [...pod.initContainers, ...pod.containers]) {
      const image = images.get(container.image.replace(/:[^/:]+$/, ''));
      if (image === undefined) continue;
      const argv = [...(container.command.length > 0 ? container.command : image.entrypoint), ...container.args];
      if (!isKilnCommand(argv, image.workdir)) continue;
      const where = `k8s ${workload.file} ${workload.kind}/${workload.metadata.name} ${container.name}`;
      const configPath = configPathOf(argv);
      const entry = configPath === undefined ? undefined : configMapFileOf(workload, container, configPath);
      const text = entry && manifests.configMaps.get(entry.configMap)?.data[entry.key];
      if (entry === undefined || text === undefined)
        throw new Error(`${where}: --config ${configPath ?? '(none)'} is not an entry of a ConfigMap it mounts`);
      const env: Record<string, string> = {};
      for (const e of container.env) {
        // As Kubernetes does, $(NAME) in a value is the variable NAME defined earlier in the list.
        if (e.value !== undefined)
          env[e.name] = e.value.replace(/\$\((\w+)\)/g, (ref, name: string) => env[name] ?? ref);
        else if (e.valueFrom?.secretKeyRef)
          env[e.name] = SECRET_EXAMPLES[e.valueFrom.secretKeyRef.key] ?? `example-${e.valueFrom.secretKeyRef.key}`;
        else if (e.valueFrom?.fieldRef) {
          const example = FIELD_EXAMPLES[e.valueFrom.fieldRef.fieldPath];
          if (example === undefined)
            throw new Error(`${where}: no example value for the field ${e.valueFrom.fieldRef.fieldPath}`);
          env[e.name] = example;
        }
      }
      out.push({
        where,
        argv,
        image,
        env,
        configText: text,
        configSource: `ConfigMap ${entry.configMap} key ${entry.key}`,
        workload,
        container,
      });
    }
  }
  return out;
}

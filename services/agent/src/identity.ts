import { isSubjectToken } from '@kiln/wire';
import type { CollectorFacts } from './collectors/collector.js';

/** Where this agent's samples are published: kiln.v1.gpu.<cluster>.<rack>.<host>. */
export interface AgentIdentity {
  cluster: string;
  rack: string;
  host: string;
}

/** The agent could not name itself: the message says which keys to set. */
export class IdentityError extends Error {
  constructor(problems: string[]) {
    super(`cannot tell where this host belongs:\n  ${problems.join('\n  ')}`);
    this.name = 'IdentityError';
  }
}

export interface IdentityInputs {
  /** agent.cluster / rack / host from the configuration (or KILN_AGENT_* variables). */
  configured: { cluster?: string | undefined; rack?: string | undefined; host?: string | undefined };
  /** The machine's host name (os.hostname()), possibly fully qualified. */
  hostname: string;
  /** What the collector reported at start. */
  facts: CollectorFacts;
}

/**
 * Names this host. Each part is taken from the configuration when set, else discovered:
 * - host: the source's own host name (dcgm-exporter's hostname label, which is the node name in Kubernetes), else the
 *   machine's host name; its first DNS label, with characters a subject cannot hold replaced by '-';
 * - rack: the host name's rack part when it follows the `<rack>-t<NN>` / `<rack>-tray<NN>` convention, else the NVL72
 *   chassis serial number nvidia-smi reports (one per rack);
 * - cluster: the second DNS label of a fully qualified host name (r0042-t07.eus2-ai1.example.net → eus2-ai1).
 */
export function resolveIdentity(inputs: IdentityInputs): AgentIdentity {
  const { configured, facts } = inputs;
  const machine = inputs.hostname.trim().toLowerCase();
  const labels = machine.split('.');
  const problems: string[] = [];
  const host = configured.host ?? toToken(firstLabel(facts.hostname) ?? labels[0] ?? '');
  if (host === undefined)
    problems.push(`agent.host: not set, and the host name ${JSON.stringify(inputs.hostname)} gives none`);
  const rack =
    configured.rack ??
    (host !== undefined ? toToken(/^(.+)-t(?:ray)?\d{1,3}$/.exec(host)?.[1] ?? '') : undefined) ??
    toToken(facts.chassisSerial ?? '');
  if (rack === undefined) {
    problems.push(
      'agent.rack: not set; discovered from a host name <rack>-t<NN> or from the NVL72 chassis serial nvidia-smi reports, neither found',
    );
  }
  const cluster = configured.cluster ?? (labels.length > 2 ? toToken(labels[1]!) : undefined);
  if (cluster === undefined) {
    problems.push(
      `agent.cluster: not set, and the host name ${JSON.stringify(inputs.hostname)} is not fully qualified (<host>.<cluster>.<domain>)`,
    );
  }
  if (problems.length > 0 || host === undefined || rack === undefined || cluster === undefined) {
    throw new IdentityError([
      ...problems,
      'set them in the agent section or as KILN_AGENT_CLUSTER / KILN_AGENT_RACK / KILN_AGENT_HOST',
    ]);
  }
  return { cluster, rack, host };
}

function firstLabel(name: string | undefined): string | undefined {
  const label = name?.trim().toLowerCase().split('.')[0];
  return label === '' ? undefined : label;
}

/** `s` as a subject token ([A-Za-z0-9_-]{1,64}), other characters replaced by '-'; undefined when empty. */
function toToken(s: string): string | undefined {
  const token = s.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return isSubjectToken(token) ? token : undefined;
}

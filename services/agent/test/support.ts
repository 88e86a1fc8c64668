import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { parseConfig, type KilnConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import type { WireMessage } from '@kiln/wire';

/** The stand-in nvidia-smi executable. */
export const FAKE_NVIDIA_SMI = fileURLToPath(new URL('./fixtures/nvidia-smi.mjs', import.meta.url));

export const ADMIN = { user: 'admin', pass: 'admin-pw' };

export function agentUser(host: string): { user: string; password: string } {
  return { user: `agent-${host}`, password: `${host}-pw` };
}

/** The permissions deploy/nats/ gives an agent: publish its own subjects, read replies on its own inbox prefix. */
export function agentPermissions(cluster: string, rack: string, host: string): string {
  return `permissions: { publish: { allow: ["kiln.v1.gpu.${cluster}.${rack}.${host}", "kiln.v1.event.${cluster}.${rack}.${host}"] }, subscribe: { allow: ["_INBOX_${host}.>"] } }`;
}

/** nats-server authorization: the test's admin user and one least-privilege user per agent host. */
export function authorization(cluster: string, rack: string, hosts: readonly string[]): string {
  const users = hosts.map((h) => {
    const { user, password } = agentUser(h);
    return `    { user: "${user}", password: "${password}", ${agentPermissions(cluster, rack, h)} }`;
  });
  return `authorization {\n  users = [\n    { user: "${ADMIN.user}", password: "${ADMIN.pass}" }\n${users.join('\n')}\n  ]\n}\n`;
}

/** The test's own connection (admin), with Kiln's streams provisioned. */
export async function adminConnection(
  url: string,
  extra: Record<string, unknown> = {},
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url, ...ADMIN, ...extra });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, { replicas: 1 });
  return { nc, jsm };
}

export interface StoredSample {
  streamSeq: number;
  msgId: string;
  message: WireMessage;
}

/** Every message of `subject` in the GPU stream, in stream order. */
export async function readSubject(jsm: JetStreamManager, subject: string): Promise<StoredSample[]> {
  const { state } = await jsm.streams.info(GPU_STREAM);
  const out: StoredSample[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(GPU_STREAM, { seq });
    if (!m || m.subject !== subject) continue;
    out.push({ streamSeq: m.seq, msgId: m.header.get('Nats-Msg-Id'), message: m.json<WireMessage>() });
  }
  return out;
}

/** A validated configuration from `raw`, untouched by the environment. */
export function testConfig(raw: Record<string, unknown>): KilnConfig {
  return parseConfig(raw, { env: {} });
}

export const quiet = silentLogger();

/** Writes the stand-in nvidia-smi's state file. */
export function writeSmiState(path: string, state: SmiState): void {
  writeFileSync(path, JSON.stringify(state));
}

export interface SmiGpu {
  index: number;
  uuid: string;
  busId: string;
  missing?: boolean;
  values: Record<string, number | string | null>;
  slowdown?: number;
  shutdown?: number;
  maxOp?: number;
  memMax?: number;
  /** `nvidia-smi nvlink -s` status of each link ("53.125 GB/s", "<inactive>"); unset: no link lines. */
  links?: string[];
  /** `nvidia-smi nvlink -e` counters of each link; unset: no link lines. */
  linkErrors?: { replay: number | string; recovery: number | string; crc: number | string }[];
  /** The -q Fabric section; unset: N/A. */
  fabric?: { state?: string; status?: string; cliqueId?: string; clusterUuid?: string };
}

export interface SmiState {
  eventReasons?: 'clocks_event_reasons' | 'clocks_throttle_reasons';
  limits?: 'absolute' | 'tlimit';
  chassisSerial?: string | null;
  gpus: SmiGpu[];
  /** --query-compute-apps=gpu_uuid,pid rows. */
  apps?: { uuid: string; pid: number }[];
}

/** `n` GB300-like GPUs at steady load; index i runs i degrees warmer. */
export function gb300Gpus(n: number): SmiGpu[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    uuid: `GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12000${i}`,
    busId: `0000${(8 + i).toString(16).padStart(4, '0')}:01:00.0`,
    values: {
      'temperature.gpu': 70 + i,
      'temperature.memory': 78 + i,
      'power.draw': 1043.52 + i,
      'enforced.power.limit': 1400.0,
      'utilization.gpu': 98,
      'utilization.memory': 41,
      'clocks.sm': 1965,
      'clocks.mem': 3996,
      'memory.used': 172311,
      'memory.free': 11857,
      'clocks_event_reasons.active': '0x0000000000000000',
      'clocks_throttle_reasons.active': '0x0000000000000000',
      'ecc.errors.corrected.volatile.total': 0,
      'ecc.errors.uncorrected.volatile.total': 0,
    },
    slowdown: 87,
    shutdown: 92,
    maxOp: 85,
    memMax: 95,
  }));
}

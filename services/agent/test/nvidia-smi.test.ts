import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { gpuSubject, type WireGpu } from '@kiln/wire';
import { startAgent, type Agent } from '../src/index.js';
import {
  adminConnection,
  agentUser,
  authorization,
  FAKE_NVIDIA_SMI,
  gb300Gpus,
  quiet,
  readSubject,
  testConfig,
  writeSmiState,
  type SmiState,
} from './support.js';

const CLUSTER = 'c1';
const RACK = 'r1';

describe('agent with the nvidia-smi collector, against nats-server with per-host users', () => {
  let server: TestNatsServer;
  let admin: { nc: NatsConnection; jsm: JetStreamManager };
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    server = await startTestNatsServer(authorization(CLUSTER, RACK, ['h1', 'h2', 'h3']));
    admin = await adminConnection(server.url);
    dir = await tempDir('kiln-agent-smi-');
  });
  afterAll(async () => {
    await admin?.nc.close();
    await server?.dispose();
    await dir?.remove();
  });

  /** Starts an agent for `host` reading the stand-in nvidia-smi with `state`. */
  async function agentFor(
    host: string,
    state: SmiState,
    agentSection: Record<string, unknown> = {},
  ): Promise<{ agent: Agent; statePath: string }> {
    const statePath = join(dir.path, `${host}.json`);
    writeSmiState(statePath, state);
    process.env.FAKE_NVIDIA_SMI_STATE = statePath;
    const agent = await startAgent(
      testConfig({
        nats: { url: server.url, ...agentUser(host) },
        agent: {
          cluster: CLUSTER,
          rack: RACK,
          host,
          source: 'nvidia-smi',
          nvidia_smi: FAKE_NVIDIA_SMI,
          interval_ms: 200,
          spool_dir: join(dir.path, host),
          ...agentSection,
        },
      }),
      { log: quiet },
    );
    return { agent, statePath };
  }

  it('publishes what nvidia-smi reports, with thermal limits, [N/A] as absent and hex clock-event bitmasks', async () => {
    const state: SmiState = { limits: 'absolute', gpus: gb300Gpus(4) };
    state.gpus[1]!.values['temperature.memory'] = '[N/A]';
    state.gpus[1]!.values['power.draw'] = '[Not Supported]';
    state.gpus[2]!.values['clocks_event_reasons.active'] = '0x0000000000000064'; // SW_POWER_CAP | SW_THERMAL | HW_THERMAL
    state.gpus[3]!.values['ecc.errors.corrected.volatile.total'] = 12;
    state.gpus[3]!.memMax = 97;
    const { agent, statePath } = await agentFor('h1', state);
    const subject = gpuSubject(CLUSTER, RACK, 'h1');
    try {
      expect(agent.subject).toBe(subject);
      const stored = await waitUntil(
        'three messages from h1',
        async () => {
          const s = await readSubject(admin.jsm, subject);
          return s.length >= 3 ? s : undefined;
        },
        20_000,
      );
      const { message, msgId } = stored.at(-1)!;
      expect(msgId).toBe(`h1:${message.seq}`);
      expect(message).toMatchObject({ v: 1, cluster: CLUSTER, rack: RACK, host: 'h1' });
      expect(message.gpus.map((g) => g.gpu)).toEqual([0, 1, 2, 3]);
      const [g0, g1, g2, g3] = message.gpus as [
        (typeof message.gpus)[0],
        (typeof message.gpus)[0],
        (typeof message.gpus)[0],
        (typeof message.gpus)[0],
      ];
      expect(g0).toEqual({
        gpu: 0,
        uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120000',
        temp_c: 70,
        mem_temp_c: 78,
        slowdown_temp_c: 87,
        mem_max_temp_c: 95,
        power_w: 1043.52,
        power_limit_w: 1400,
        util_pct: 98,
        mem_util_pct: 41,
        sm_clock_mhz: 1965,
        mem_clock_mhz: 3996,
        fb_used_mib: 172311,
        fb_free_mib: 11857,
        clock_events: 0,
        ecc_sbe_vol: 0,
        ecc_dbe_vol: 0,
      });
      expect(g1).not.toHaveProperty('mem_temp_c');
      expect(g1).not.toHaveProperty('power_w');
      expect(g1.temp_c).toBe(71);
      expect(g2.clock_events).toBe(0x64);
      expect(g3.ecc_sbe_vol).toBe(12);
      expect(g3.mem_max_temp_c).toBe(97);
      const seqs = stored.map((s) => s.message.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

      // GPU 2 falls off the bus: it is left out, not carried forward, and reported.
      state.gpus[2]!.missing = true;
      writeSmiState(statePath, state);
      await waitUntil('GPU 2 reported missing', () => agent.stats().missingGpus.includes(2), 10_000);
      const afterLoss = await waitUntil(
        'a message without GPU 2',
        async () => {
          const s = await readSubject(admin.jsm, subject);
          const last = s.at(-1)!.message;
          return last.gpus.length === 3 ? last : undefined;
        },
        10_000,
      );
      expect(afterLoss.gpus.map((g) => g.gpu)).toEqual([0, 1, 3]);

      // It comes back.
      state.gpus[2]!.missing = false;
      writeSmiState(statePath, state);
      await waitUntil('GPU 2 back', () => agent.stats().missingGpus.length === 0, 10_000);

      // nvidia-smi dies: it is restarted and the samples keep coming.
      const pid = Number(readFileSync(`${statePath}.pid`, 'utf8'));
      process.kill(pid, 'SIGKILL');
      await waitUntil('nvidia-smi restarted', () => Number(readFileSync(`${statePath}.pid`, 'utf8')) !== pid, 15_000);
      expect(agent.stats().collectorFailures).toBeGreaterThanOrEqual(1);
      const before = agent.stats().published;
      await waitUntil('publishing after the restart', () => agent.stats().published >= before + 3, 10_000);
      expect(agent.stats()).toMatchObject({ spoolPending: 0, publishFailures: 0, spoolDroppedFull: 0 });
    } finally {
      await agent.stop();
    }
  });

  it('speaks to older drivers: clocks_throttle_reasons and limits relative to T.Limit', async () => {
    const state: SmiState = { eventReasons: 'clocks_throttle_reasons', limits: 'tlimit', gpus: gb300Gpus(4) };
    state.gpus[0]!.values['clocks_throttle_reasons.active'] = '0x0000000000000004';
    state.gpus[0]!.slowdown = 89;
    const { agent } = await agentFor('h2', state);
    const subject = gpuSubject(CLUSTER, RACK, 'h2');
    try {
      const stored = await waitUntil(
        'a message from h2',
        async () => (await readSubject(admin.jsm, subject)).at(-1),
        20_000,
      );
      const g0 = stored.message.gpus[0]!;
      expect(g0.clock_events).toBe(4);
      expect(g0.slowdown_temp_c).toBe(89);
      expect(stored.message.gpus[1]!.slowdown_temp_c).toBe(87);
      // That form has no absolute HBM limit: it stays absent rather than guessed.
      expect(g0).not.toHaveProperty('mem_max_temp_c');
      expect(g0.temp_c).toBe(70);
    } finally {
      await agent.stop();
    }
  });

  it('follows the fabric as it forms (clique read again when the state changes) and an NVLink link going down', async () => {
    const state: SmiState = { limits: 'tlimit', gpus: gb300Gpus(2) };
    for (const gpu of state.gpus) {
      gpu.values['fabric.state'] = 'In Progress';
      gpu.fabric = { state: 'In Progress', cliqueId: '0' };
      gpu.links = Array.from({ length: 18 }, () => '53.125 GB/s');
    }
    // limits_refresh_ms stays at its 10 minutes: only the state change can bring the clique in this test's time.
    const { agent, statePath } = await agentFor('h3', state, { nvlink_refresh_ms: 1000 });
    const subject = gpuSubject(CLUSTER, RACK, 'h3');
    const last = async (): Promise<WireGpu[]> => (await readSubject(admin.jsm, subject)).at(-1)?.message.gpus ?? [];
    try {
      const forming = await waitUntil(
        'a message while the fabric forms',
        async () => ((await last()).length === 2 ? last() : undefined),
        20_000,
      );
      expect(forming[0]).toMatchObject({ fabric_state: 2, fabric_clique: 0, nvlink_links_inactive: 0 });
      expect(forming[0]).not.toHaveProperty('fabric_status');

      for (const gpu of state.gpus) {
        gpu.values['fabric.state'] = 'Completed';
        gpu.values['fabric.status'] = 'Success';
        gpu.fabric = { state: 'Completed', status: 'Success', cliqueId: '32766' };
      }
      state.gpus[1]!.links![5] = '<inactive>';
      writeSmiState(statePath, state);
      const formed = await waitUntil(
        'the clique and the inactive link',
        async () => {
          const gpus = await last();
          return gpus[0]?.fabric_clique === 32766 && gpus[1]?.nvlink_links_inactive === 1 ? gpus : undefined;
        },
        30_000,
      );
      expect(formed[0]).toMatchObject({ fabric_state: 3, fabric_status: 0, nvlink_links_inactive: 0 });
      expect(formed[1]).toMatchObject({ fabric_state: 3, fabric_clique: 32766 });
    } finally {
      await agent.stop();
    }
  });
});

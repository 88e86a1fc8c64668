import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parseGpuSubject, partitionOf } from '@kiln/wire';
import {
  GPU_STREAM,
  agentPublishSubjects,
  ensureStreams,
  partitionFilter,
  partitionMapping,
  startNatsServer,
  type NatsServerHandle,
} from '../src/index.js';

const PARTITIONS = 8;
const RACKS = Array.from({ length: 60 }, (_, i) => `r${String(i).padStart(4, '0')}`);

describe('partitions by rack, mapped by a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-nats-partitions-'));
    const agent = agentPublishSubjects('c1', 'r0007', 'r0007-t01')
      .map((s) => JSON.stringify(s))
      .join(', ');
    server = await startNatsServer({
      dir,
      extraConfig: [
        partitionMapping(PARTITIONS),
        `authorization { users = [`,
        `  { user: kiln, password: kiln }`,
        `  { user: agent, password: agent, permissions: { publish: { allow: [${agent}] }, subscribe: { allow: ["_INBOX_r0007-t01.>"] } } }`,
        `] }`,
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores every sample subject under its rack's partition, the one Kiln computes", async () => {
    const nc = await connect({ servers: server.url, user: 'kiln', pass: 'kiln' });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const js = jetstream(nc);
    for (const rack of RACKS) await js.publish(`kiln.v1.gpu.c1.${rack}.${rack}-t01`, '{}');

    const seen = new Map<string, number>();
    for (let k = 0; k < PARTITIONS; k++) {
      await jsm.consumers.add(GPU_STREAM, {
        durable_name: `p${k}`,
        ack_policy: AckPolicy.None,
        filter_subject: partitionFilter(k, PARTITIONS),
      });
      const consumer = await js.consumers.get(GPU_STREAM, `p${k}`);
      const pending = (await consumer.info()).num_pending;
      const batch = await consumer.fetch({ max_messages: pending, expires: 2_000 });
      for await (const m of batch) {
        const parts = parseGpuSubject(m.subject);
        expect(parts?.partition).toBe(k);
        seen.set(parts!.rack, k);
      }
    }
    expect(seen.size).toBe(RACKS.length);
    for (const rack of RACKS) expect(seen.get(rack), rack).toBe(partitionOf(rack, PARTITIONS));
    // Every partition gets some racks: the hash spreads 60 racks over 8.
    expect(new Set(seen.values()).size).toBe(PARTITIONS);
    await nc.close();
  });

  it("lets an agent publish its own subject (2.9 checks the mapped one) and nothing else's", async () => {
    const nc = await connect({ servers: server.url, user: 'agent', pass: 'agent', inboxPrefix: '_INBOX_r0007-t01' });
    const js = jetstream(nc, { timeout: 1_000 });
    const ack = await js.publish('kiln.v1.gpu.c1.r0007.r0007-t01', '{}');
    expect(ack.stream).toBe(GPU_STREAM);
    await expect(js.publish('kiln.v1.gpu.c1.r0008.r0008-t01', '{}')).rejects.toThrow();
    await nc.close();
  });

  it('filters one partition, or everything with one partition', () => {
    expect(partitionFilter(3, 8)).toBe('kiln.v1.gpu.*.*.*.3');
    expect(partitionFilter(0, 1)).toBe('kiln.v1.gpu.>');
    expect(() => partitionFilter(8, 8)).toThrow(/not in 0..7/);
    expect(() => partitionMapping(0)).toThrow(/1..1024/);
  });
});

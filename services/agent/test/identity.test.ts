import { describe, expect, it } from 'vitest';
import { IdentityError, resolveIdentity } from '../src/index.js';

describe('identity discovery', () => {
  it('takes what is configured', () => {
    expect(
      resolveIdentity({ configured: { cluster: 'c', rack: 'r', host: 'h' }, hostname: 'x.y.z', facts: {} }),
    ).toEqual({ cluster: 'c', rack: 'r', host: 'h' });
  });

  it('names host, rack and cluster from a fully qualified host name that follows <rack>-t<NN>', () => {
    expect(resolveIdentity({ configured: {}, hostname: 'R0042-T07.eus2-ai1.example.net', facts: {} })).toEqual({
      cluster: 'eus2-ai1',
      rack: 'r0042',
      host: 'r0042-t07',
    });
    expect(resolveIdentity({ configured: { cluster: 'c' }, hostname: 'gb300-rack12-tray3', facts: {} }).rack).toBe(
      'gb300-rack12',
    );
  });

  it('falls back to the NVL72 chassis serial for the rack, and prefers the source host name for the host', () => {
    expect(
      resolveIdentity({ configured: { cluster: 'c' }, hostname: 'node-17', facts: { chassisSerial: '1653922000123' } }),
    ).toEqual({ cluster: 'c', rack: '1653922000123', host: 'node-17' });
    expect(
      resolveIdentity({
        configured: { cluster: 'c' },
        hostname: 'agent-pod-abc',
        facts: { hostname: 'r9-t02.cluster.local' },
      }),
    ).toEqual({ cluster: 'c', rack: 'r9', host: 'r9-t02' });
  });

  it('names every part it cannot discover, and how to set it', () => {
    expect(() => resolveIdentity({ configured: {}, hostname: 'node_17', facts: {} })).toThrow(IdentityError);
    try {
      resolveIdentity({ configured: {}, hostname: 'node_17', facts: {} });
    } catch (err) {
      expect((err as Error).message).toMatch(/agent\.rack/);
      expect((err as Error).message).toMatch(/agent\.cluster/);
      expect((err as Error).message).not.toMatch(/agent\.host/);
      expect((err as Error).message).toMatch(/KILN_AGENT_RACK/);
    }
  });
});

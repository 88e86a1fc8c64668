import type { WireGpu, WireMessage } from '@kiln/wire';
import { Fleet, type FleetOptions } from '../src/index.js';

/** 2026-01-15T00:00:00Z: a fixed event-time origin. */
export const T0 = Date.UTC(2026, 0, 15);

/** Ticks a new fleet `ticks` times and returns every message. */
export function run(options: Partial<FleetOptions>, ticks: number): WireMessage[] {
  const fleet = new Fleet({ cluster: 'test-ai1', racks: 1, seed: 1, startMs: T0, ...options });
  const out: WireMessage[] = [];
  for (let i = 0; i < ticks; i++) out.push(...fleet.tick());
  return out;
}

/** One GPU's readings in tick order, with the seconds since T0 of each. */
export function series(messages: readonly WireMessage[], host: string, gpu: number): { s: number; r: WireGpu }[] {
  const out: { s: number; r: WireGpu }[] = [];
  for (const m of messages) {
    if (m.host !== host) continue;
    const r = m.gpus.find((g) => g.gpu === gpu);
    if (r) out.push({ s: (m.ts - T0) / 1000, r });
  }
  return out;
}

/** Every GPU reading of each tick, keyed by seconds since T0. */
export function byTick(messages: readonly WireMessage[]): Map<number, { host: string; r: WireGpu }[]> {
  const ticks = new Map<number, { host: string; r: WireGpu }[]>();
  for (const m of messages) {
    const s = (m.ts - T0) / 1000;
    let list = ticks.get(s);
    if (!list) ticks.set(s, (list = []));
    for (const r of m.gpus) list.push({ host: m.host, r });
  }
  return ticks;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function min(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b < a ? b : a), Infinity);
}

export function max(xs: readonly number[]): number {
  return xs.reduce((a, b) => (b > a ? b : a), -Infinity);
}

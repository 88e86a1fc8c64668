import type { Logger } from '@kiln/log';
import type { SampleBatch } from '@kiln/wire';
import type { IngestBatch } from './ingest-batch.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import type { LatestSample } from './latest-sample.js';
import { fromRanges } from './row-ranges.js';

/** Analyses a sample found new (PartitionAnalysis.analyse). */
export type AnalyseSample = (batch: SampleBatch, row: number, gpuId: number) => void;

/**
 * The sample identity check: drops a batch's rows whose identity (GPU, ts) is already stored or appears earlier in the
 * batch (an agent replaying samples under new message ids), analyses the deferred rows that turn out new, and tells
 * LatestSample what storage holds, so that the GPUs' next samples take the fast path. Only rows LatestSample could not
 * vouch for are looked up.
 */
export class SampleIdentityCheck {
  constructor(
    private readonly deps: {
      store: IngestStore;
      latest: LatestSample;
      analyse: AnalyseSample;
      stats: IngestStats;
      log: Logger;
    },
  ) {}

  async dropRepeated(b: IngestBatch): Promise<void> {
    const recorded = b.recorded;
    if (recorded?.rows === b.samples.length) {
      this.dropRecordedRepeats(b, fromRanges(recorded.repeated ?? []));
      return;
    }
    const s = b.samples;
    const { latest, store, analyse } = this.deps;
    // A suspect repeats a row of the batch when that row has its identity: the rows of the suspects' GPUs are looked at.
    const identity = identityKeys(b);
    const suspect = new Uint8Array(s.length);
    const suspectGpu = new Uint8Array(identity.gpuIds);
    for (const row of b.suspects) {
      suspect[row] = 1;
      suspectGpu[b.gpuIds[row]!] = 1;
    }
    const seen = new Set<number | string>();
    for (let row = 0; row < s.length; row++)
      if (suspect[row] === 0 && suspectGpu[b.gpuIds[row]!] === 1) seen.add(identity.of(row));
    const repeated: number[] = [];
    const unresolved: number[] = [];
    for (const row of b.suspects) {
      const key = identity.of(row);
      if (seen.has(key)) repeated.push(row);
      else {
        seen.add(key);
        unresolved.push(row);
      }
    }
    // First what storage holds of the GPUs not seeded yet: a sample newer than its GPU's newest stored one is new.
    const unseeded = unresolved.filter((row) => latest.unseeded(b.gpuIds[row]!));
    if (unseeded.length > 0) {
      const newest = await store.newestStored(s, unseeded);
      unseeded.forEach((row, i) => latest.seed(b.gpuIds[row]!, newest[i]!));
    }
    // Then the exact identities of the rest: out-of-order samples, and those not newer than what is stored.
    const deferred = new Set(b.deferred);
    const toCheck = unresolved.filter((row) => deferred.has(row) || s.ts[row]! <= latest.storedNewest(b.gpuIds[row]!));
    const stored = toCheck.length > 0 ? await store.storedIdentities(s, toCheck) : new Set<number>();
    for (const row of unresolved) {
      if (stored.has(row)) repeated.push(row);
      else if (deferred.has(row)) analyse(s, row, b.gpuIds[row]!);
    }
    repeated.sort((x, y) => x - y);
    this.removeRepeated(b, repeated);
  }

  /** A rebuilt batch drops the rows its first attempt found stored, and analyses the deferred rows that were new. */
  private dropRecordedRepeats(b: IngestBatch, repeated: number[]): void {
    const drop = new Set(repeated);
    for (const row of b.deferred) if (!drop.has(row)) this.deps.analyse(b.samples, row, b.gpuIds[row]!);
    this.removeRepeated(b, repeated);
  }

  private removeRepeated(b: IngestBatch, repeated: number[]): void {
    b.repeated = repeated;
    b.removeRows(repeated);
    this.deps.stats.duplicateSamples += repeated.length;
    if (repeated.length > 0)
      this.deps.log.info({ first: b.first, last: b.last, dropped: repeated.length }, 'dropped samples already stored');
  }
}

/**
 * Keys naming the sample identities (GPU id and ts) of a batch's rows: one number per identity, `(ts - earliest) ×
 * GPU ids + id`, which doubles hold exactly unless the batch spans centuries of GPU-milliseconds; text then.
 */
function identityKeys(b: IngestBatch): { gpuIds: number; of: (row: number) => number | string } {
  const s = b.samples;
  let earliest = Infinity;
  let latest = -Infinity;
  let gpuIds = 0;
  for (let row = 0; row < s.length; row++) {
    earliest = Math.min(earliest, s.ts[row]!);
    latest = Math.max(latest, s.ts[row]!);
    gpuIds = Math.max(gpuIds, b.gpuIds[row]! + 1);
  }
  if ((latest - earliest + 1) * gpuIds <= Number.MAX_SAFE_INTEGER)
    return { gpuIds, of: (row) => (s.ts[row]! - earliest) * gpuIds + b.gpuIds[row]! };
  return { gpuIds, of: (row) => `${b.gpuIds[row]}:${s.ts[row]}` };
}

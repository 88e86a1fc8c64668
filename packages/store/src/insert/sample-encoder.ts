import { METRICS, type SampleBatch } from '@kiln/wire';
import { ByteWriter } from './byte-writer.js';
import { EncodedStrings } from './encoded-strings.js';
import { storedMetrics } from './stored-metrics.js';

/** gpu_samples columns in the order the encoder writes them. */
export const SAMPLE_COLUMNS: readonly string[] = [
  'ts',
  'cluster',
  'rack',
  'host',
  'gpu',
  'uuid',
  'job',
  ...METRICS.map((m) => m.name),
];

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const NEWLINE = 0x0a;
const NULL = Buffer.from('null');
const COMMA_BYTES = Buffer.from(',');
/** GPUs whose label bytes are kept (a fleet's worth per aggregator partition, with room). */
const MAX_IDENTITIES = 100_000;

interface GpuIdentity {
  cluster: string;
  rack: string;
  host: string;
  gpu: number;
  job: string;
  bytes: Buffer;
}
/** Room for one row's numbers: ts, gpu and every metric at their longest, with separators. */
const ROW_NUMBERS_BYTES = 32 + 48 * METRICS.length;

/**
 * Encodes SampleBatch rows as a JSONCompactEachRow body for gpu_samples, straight from the batch's typed arrays into
 * bytes: no row arrays, no number-to-string conversions, each GPU's labels encoded once (faster than JSON.stringify of
 * a reused row array, which test/bench/store-insert.js measures beside it). Values as StoredMetrics says (rounded to
 * the decimals their column keeps: the engine would truncate Decimals otherwise). The body a server takes; the
 * embedded engine takes NativeSampleEncoder's.
 */
export class SampleEncoder {
  /** JSON string literals, UTF-8. */
  readonly #labels = new EncodedStrings((value) => Buffer.from(JSON.stringify(value), 'utf8'));
  readonly #identities = new Map<string, GpuIdentity>();
  readonly #decimals: Int32Array;
  readonly #scale: Float64Array;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  /** The body's bytes, reused from one encode to the next (a fresh multi-MB buffer per batch cost GC time). */
  readonly #out = new ByteWriter(64 * 1024);

  constructor() {
    ({ decimals: this.#decimals, scale: this.#scale, min: this.#min, max: this.#max } = storedMetrics());
  }

  /**
   * `,"cluster","rack","host",gpu,"uuid","job"` of a row, encoded once per GPU: a GPU's labels repeat every sample,
   * so one lookup by uuid and five string comparisons replace six lookups and copies.
   */
  #identity(batch: SampleBatch, row: number): Buffer {
    const uuid = batch.uuid[row]!;
    const cluster = batch.cluster[row]!;
    const rack = batch.rack[row]!;
    const host = batch.host[row]!;
    const gpu = batch.gpu[row]!;
    const job = batch.job[row]!;
    const known = this.#identities.get(uuid);
    if (
      known !== undefined &&
      known.cluster === cluster &&
      known.rack === rack &&
      known.host === host &&
      known.gpu === gpu &&
      known.job === job
    ) {
      return known.bytes;
    }
    if (this.#identities.size >= MAX_IDENTITIES) this.#identities.clear();
    const labels = this.#labels;
    const bytes = Buffer.concat([
      COMMA_BYTES,
      labels.encoded(cluster),
      COMMA_BYTES,
      labels.encoded(rack),
      COMMA_BYTES,
      labels.encoded(host),
      Buffer.from(`,${gpu},`),
      labels.encoded(uuid),
      COMMA_BYTES,
      labels.encoded(job),
    ]);
    this.#identities.set(uuid, { cluster, rack, host, gpu, job, bytes });
    return bytes;
  }

  /**
   * Rows [from, to) of `batch`, one JSON array per line: a view on the encoder's buffer, valid until its next encode
   * (give each body being inserted an encoder of its own).
   */
  encode(batch: SampleBatch, from = 0, to = batch.length): Buffer {
    const metrics = this.#scale.length;
    const decimals = this.#decimals;
    const scale = this.#scale;
    const min = this.#min;
    const max = this.#max;
    const values = batch.values;
    const out = this.#out;
    out.reset();
    out.reserve((to - from) * 256);
    for (let row = from; row < to; row++) {
      out.reserve(ROW_NUMBERS_BYTES);
      out.byte(OPEN);
      out.scaledInteger(Math.round(batch.ts[row]!), 0);
      out.bytes(this.#identity(batch, row));
      out.reserve(ROW_NUMBERS_BYTES);
      const base = row * metrics;
      for (let m = 0; m < metrics; m++) {
        const v = values[base + m]!;
        out.byte(COMMA);
        // NaN fails both comparisons, so it lands in the null branch with the out-of-range values.
        if (v >= min[m]! && v <= max[m]!) out.scaledInteger(Math.round(v * scale[m]!), decimals[m]!);
        else out.bytes(NULL);
      }
      out.byte(CLOSE);
      out.byte(NEWLINE);
    }
    return out.take();
  }
}

import type { Labels, Severity } from '@kiln/alerts';
import type { XidRule } from './rules/xid.js';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { gpuPlace } from './format.js';

const XID = METRIC_ID.xid;
const ALERTNAME = 'GpuXidError';

/** What each listed Xid means and what to do (NVIDIA's Xid catalog). */
const XID_MEANING: Readonly<Record<number, string>> = {
  46: 'GPU stopped processing (timeout); reset the GPU',
  48: 'double-bit ECC error; drain, reset the GPU, service if it repeats',
  62: 'internal micro-controller halt; reset the GPU',
  63: 'ECC page retirement or row-remap recording event; reset at the next drain',
  64: 'page retirement or row-remap recording failure; reset the GPU',
  74: 'NVLink error; on NVL72 it can affect the whole NVLink domain',
  79: 'GPU has fallen off the bus; reboot the node',
  92: 'high single-bit ECC error rate; watch the trend',
  94: 'contained ECC error; only the affected application died',
  95: 'uncontained ECC error; reset the GPU',
  109: 'context switch timeout; reset the GPU',
  119: 'GSP RPC timeout; reset the GPU',
  120: 'GSP error; reset the GPU',
  121: 'C2C (Grace-GPU) link error',
  136: 'ALI training failure; reset the GPU',
  140: 'unrecoverable ECC error escape; reset the GPU',
  155: 'NVLink software-defined error; reset the GPU',
  156: 'NVLink resource retirement event; reset the GPU',
};

function meaning(code: number): string {
  if (code >= 144 && code <= 150) return 'NVLink5 error; follow the NVLink5 workflow';
  return XID_MEANING[code] ?? 'see the NVIDIA Xid catalog';
}

/**
 * A GPU with a fatal Xid (critical) or a hardware warning Xid (warning). Each severity is its own alert, so a warning
 * Xid followed by a fatal one still pages. Application Xids (13, 31, 43, 45) are listed in neither by default.
 *
 * Two sources, never both for one GPU:
 * - Xid events (kernel log, via the agent): each is an occurrence. It fires the alert, or keeps a firing one going,
 *   and the alert resolves keep_firing_for after the last occurrence. Two Xid 79s are two occurrences.
 * - the sample field `xid` (DCGM field 230, nvidia-smi): only the latest code, held until a reset clears it, so a
 *   repeat of the same code is invisible; the alert holds while the field does.
 * Once a GPU has had an event, its agent publishes events, and its `xid` field is ignored: the field would report the
 * same Xid again as a level, counting it twice and holding the alert until a reset.
 */
export class XidDetector implements Detector {
  readonly name = 'xid';
  readonly tracks: readonly AlertTrack[];
  private readonly fatal: AlertTrack;
  private readonly warning: AlertTrack;
  /** 1 = fatal, 2 = warning, by code. */
  private readonly classOf = new Uint8Array(65536);
  /** 1 for the GPUs whose Xids come as events: their sample field is ignored. */
  private eventFed = new Uint8Array(64);

  constructor(
    private readonly registry: GpuRegistry,
    rule: XidRule,
  ) {
    this.fatal = new AlertTrack(ALERTNAME, rule, 'gpu', 'critical');
    this.warning = new AlertTrack(ALERTNAME, rule, 'gpu', 'warning');
    this.tracks = [this.fatal, this.warning];
    for (const code of rule.warning_codes) this.classOf[code] = 2;
    for (const code of rule.fatal_codes) this.classOf[code] = 1;
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const code = batch.values[row * METRIC_COUNT + XID]!;
    if (code !== code || this.eventFed[gpuId] === 1) return;
    const cls = this.classOf[code] ?? 0;
    // The healthy fast path, before any call that would box the event time.
    if (cls === 0 && !this.fatal.engaged(gpuId) && !this.warning.engaged(gpuId)) return;
    const ts = batch.eventTs[row]!;
    this.judge(this.fatal, cls === 1, 'critical', batch, row, gpuId, code, ts, emit);
    this.judge(this.warning, cls === 2, 'warning', batch, row, gpuId, code, ts, emit);
  }

  /** One Xid occurrence of a GPU, at its event time. */
  onEvent(gpuId: number, uuid: string, code: number, ts: number, emit: EmitAlert): void {
    if (gpuId >= this.eventFed.length) {
      const grown = new Uint8Array(Math.max(gpuId + 1, 2 * this.eventFed.length));
      grown.set(this.eventFed);
      this.eventFed = grown;
    }
    this.eventFed[gpuId] = 1;
    const cls = this.classOf[code] ?? 0;
    if (cls === 0) return;
    const severity: Severity = cls === 1 ? 'critical' : 'warning';
    const track = cls === 1 ? this.fatal : this.warning;
    const labels: Labels = {
      ...gpuAlertLabels(this.registry, gpuId, uuid, ALERTNAME, severity, 'hardware'),
      xid: String(code),
    };
    track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} logged Xid ${code}: ${meaning(code)}`,
        description:
          `The driver logged Xid ${code} (${severity === 'critical' ? 'fatal' : 'hardware warning'} in the Xid catalog): ${meaning(code)}. ` +
          `Each occurrence keeps the alert firing; it resolves once no Xid of its class has come for keep_firing_for.`,
        value: String(code),
      },
      emit,
    );
    // An occurrence, not a level: the keep_firing_for countdown starts at once and the next occurrence restarts it.
    track.clear(gpuId, ts, emit);
  }

  forgetGpu(gpuId: number): void {
    if (gpuId < this.eventFed.length) this.eventFed[gpuId] = 0;
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.fatal.advance(watermarkMs, emit);
    this.warning.advance(watermarkMs, emit);
  }

  private judge(
    track: AlertTrack,
    active: boolean,
    severity: Severity,
    batch: SampleBatch,
    row: number,
    gpuId: number,
    code: number,
    ts: number,
    emit: EmitAlert,
  ): void {
    if (!active) {
      if (track.engaged(gpuId)) track.clear(gpuId, ts, emit);
      return;
    }
    // The `xid` label is the code that opened the episode (labels are fixed then); `value` follows the latest.
    const labels: Labels = {
      ...gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, severity, 'hardware'),
      xid: String(code),
    };
    track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} reported Xid ${code}: ${meaning(code)}`,
        description:
          `The GPU's last Xid is ${code} (${severity === 'critical' ? 'fatal' : 'hardware warning'} in the Xid catalog): ${meaning(code)}. ` +
          `The alert holds until a reset clears the Xid.`,
        value: String(code),
      },
      emit,
    );
  }
}

import type { AlertEvent, Category, Severity } from '@kiln/alerts';
import type { GpuRegistry } from '@kiln/window';
import { hostAlertLabels } from './alert-labels.js';
import type { AlertTrack } from './alert-track.js';
import type { EmitAlert } from './detector.js';

/** A cause that a whole-rack alert may soon cover (RackCoolingDetector): asked about a GPU alert's event. */
export interface CoveringCause {
  /** Whether an alert covering `e` (and muting it at the alerter) is pending: its condition holds, its `for` runs. */
  pendingFor(e: AlertEvent): boolean;
  /** How long, in event time, such an alert may stay pending before it fires or clears. */
  readonly holdMs: number;
}

/** One tray's alerts of one rule (alertname and severity). */
interface Tray {
  readonly alertname: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly cluster: string;
  readonly rack: string;
  readonly host: string;
  /** Indexes of the tray's GPUs whose alert of the rule fires, with their latest firing event. */
  readonly firing: Map<number, AlertEvent>;
  /** Firing events not emitted yet: a tray alert, or a rack's, may cover them. */
  held: AlertEvent[];
  /** Event time (a watermark) from which the held events go out whatever happens. */
  holdUntil: number;
  /** The tray alert's firing event while it fires. */
  alert: AlertEvent | undefined;
}

/**
 * One cause, one page, for what Detection sees together: per-GPU alerts that a wider alert stands for.
 *
 * A tray: when every GPU of a host (a GB300 tray: 4) fires the same per-GPU rule, a cause the tray shares (its power,
 * its cold plate loop, its board) is far likelier than four faults, so one alert is raised for the tray — the same
 * alertname and severity, labelled with the host and no gpu — and the built-in inhibition "a tray mutes its GPUs"
 * keeps the GPUs' own alerts from paging while it fires. It fires when the last of its GPUs does and resolves when none
 * fires any more, so no GPU alert is left to page on its own in between.
 *
 * Order matters as much: the alerter mutes an alert only once what covers it has arrived. The GPUs of a failing tray
 * seldom cross a threshold on the same sample, and a rack losing its coolant is judged on a closing pass that may come
 * just after one of its GPUs crossed one. So a GPU's firing event waits while a tray-mate's alert of the same rule is
 * pending (its condition holds, its `for` runs), or while a covering cause is pending (the rack's cooling alert, for
 * a thermal alert): the wider alert, when it fires, goes out first. Events raised during a closing pass are decided at
 * its end, once every detector has judged the pass. Once nothing is pending any more, or the wait has run out in
 * event time, the GPU alerts go out as they are, together. A GPU alert nothing may cover pages at once.
 *
 * Only GPU-scoped events pass through here, and only firing and resolved ones: the healthy path never comes here.
 */
export class CauseRollup {
  private readonly trays = new Map<string, Tray>();
  private readonly tracksByName = new Map<string, AlertTrack[]>();
  private inPass = false;

  constructor(
    private readonly registry: GpuRegistry,
    gpuTracks: readonly AlertTrack[],
    private readonly covers: readonly CoveringCause[],
    private readonly emit: EmitAlert,
  ) {
    for (const track of gpuTracks)
      this.tracksByName.set(track.alertname, [...(this.tracksByName.get(track.alertname) ?? []), track]);
  }

  /** An event of a GPU alert (labels.gpu set). */
  onGpuEvent(e: AlertEvent): void {
    const key = trayKey(e);
    const gpu = Number(e.labels.gpu);
    let tray = this.trays.get(key);
    if (e.status === 'resolved') {
      if (tray === undefined) return this.emit(e);
      if (tray.held.some((h) => h.labels.gpu === e.labels.gpu)) this.release(tray);
      this.emit(e);
      tray.firing.delete(gpu);
      if (tray.firing.size === 0 && tray.alert !== undefined) {
        this.emit({
          labels: tray.alert.labels,
          annotations: tray.alert.annotations,
          status: 'resolved',
          startsAt: tray.alert.startsAt,
          endsAt: e.endsAt ?? e.startsAt,
        });
        tray.alert = undefined;
      }
      if (tray.firing.size === 0 && tray.held.length === 0) this.trays.delete(key);
      return;
    }
    tray ??= this.newTray(key, e);
    tray.firing.set(gpu, e);
    if (tray.alert !== undefined) return this.emit(e); // the tray already pages: this GPU's alert is muted by it
    tray.held.push(e);
    const forMs = (this.tracksByName.get(tray.alertname) ?? []).reduce((m, t) => Math.max(m, t.timing.for_ms), 0);
    const coverMs = this.covers.reduce((m, c) => Math.max(m, c.holdMs), 0);
    tray.holdUntil = Math.max(tray.holdUntil, e.startsAt + Math.max(forMs, coverMs));
    if (!this.inPass) this.decide(tray, e.startsAt);
  }

  /** A closing pass begins: events it raises are decided at its end (`advance`), once every detector has judged. */
  beginPass(): void {
    this.inPass = true;
  }

  /** Event time has reached `watermarkMs` (a pass ended, or a tick): held events whose causes decided go out. */
  advance(watermarkMs: number): void {
    this.inPass = false;
    if (this.trays.size === 0) return;
    for (const tray of this.trays.values()) if (tray.held.length > 0) this.decide(tray, watermarkMs);
  }

  /** After a restart: a tray alert that was firing, with the GPU alerts of the tray that were firing too. */
  restore(trayAlert: AlertEvent, gpuAlerts: readonly AlertEvent[]): void {
    const key = trayKey(trayAlert);
    const tray = this.newTray(key, trayAlert);
    tray.alert = trayAlert;
    for (const e of gpuAlerts)
      if (e.labels.gpu !== undefined && trayKey(e) === key) tray.firing.set(Number(e.labels.gpu), e);
  }

  private newTray(key: string, e: AlertEvent): Tray {
    const l = e.labels;
    const tray: Tray = {
      alertname: l.alertname!,
      severity: l.severity as Severity,
      category: l.category as Category,
      cluster: l.cluster!,
      rack: l.rack!,
      host: l.host!,
      firing: new Map(),
      held: [],
      holdUntil: -Infinity,
      alert: undefined,
    };
    this.trays.set(key, tray);
    return tray;
  }

  /**
   * Fires the tray alert when every GPU of the tray fires; releases the held events when nothing that could cover
   * them is pending any more, or their wait has run out.
   */
  private decide(tray: Tray, nowMs: number): void {
    const host = this.registry.findHost(tray.cluster, tray.host);
    let gpus = 0;
    let pending = false;
    for (let index = 0; index < 8 && host >= 0; index++) {
      const id = this.registry.gpuOf(host, index);
      if (id < 0) continue;
      gpus++;
      if (!tray.firing.has(index)) pending ||= (this.tracksByName.get(tray.alertname) ?? []).some((t) => t.pending(id));
    }
    const trayAlert = gpus >= 2 && tray.firing.size >= gpus ? this.trayAlert(tray) : undefined;
    const covered = [...tray.held, ...(trayAlert ? [trayAlert] : [])].some((e) =>
      this.covers.some((c) => c.pendingFor(e)),
    );
    if (nowMs < tray.holdUntil && (covered || (trayAlert === undefined && pending))) return;
    if (trayAlert !== undefined) {
      tray.alert = trayAlert;
      this.emit(trayAlert);
    }
    this.release(tray);
  }

  private release(tray: Tray): void {
    const held = tray.held;
    tray.held = [];
    tray.holdUntil = -Infinity;
    for (const e of held) this.emit(e);
  }

  /** Fires when the last of the tray's GPUs fired. */
  private trayAlert(tray: Tray): AlertEvent {
    const events = [...tray.firing.entries()].sort(([a], [b]) => a - b);
    const startsAt = Math.max(...events.map(([, e]) => e.startsAt));
    const first = events[0]![1];
    return {
      labels: hostAlertLabels(tray.cluster, tray.rack, tray.host, tray.alertname, tray.severity, tray.category),
      annotations: {
        summary: `All ${events.length} GPUs of tray ${tray.host} (rack ${tray.rack}, ${tray.cluster}): ${first.annotations.summary ?? tray.alertname}`,
        description:
          `${tray.alertname} fires on every GPU of this compute tray, which points at what the tray shares (its power, its cold plate ` +
          `loop, its board) rather than at ${events.length} separate faults. The GPUs' own ${tray.alertname} alerts are muted while ` +
          `this fires. ${events.map(([, e]) => e.annotations.summary).join(' ')}`,
        gpus: events.map(([index]) => String(index)).join(','),
      },
      status: 'firing',
      startsAt,
    };
  }
}

/** A tray's rule: alertname, severity, cluster and host. */
function trayKey(e: AlertEvent): string {
  const l = e.labels;
  return `${l.alertname}\u0000${l.severity}\u0000${l.cluster}\u0000${l.host}`;
}

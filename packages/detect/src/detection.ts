import type { DetectConfig } from './rules/detect-section.js';
import type { ClosedWindow, GpuRegistry, GpuStateOwner } from '@kiln/window';
import { ClockEvent, type SampleBatch } from '@kiln/wire';
import { ClockEventDetector, POWER_BRAKE_SPEC, THERMAL_THROTTLE_SPEC } from './clock-events.js';
import type { AlertEvent } from '@kiln/alerts';
import type { AlertTrack, TrackScope } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { EccDoubleBitDetector } from './ecc.js';
import { PartitionSilentDetector } from './partition-silent.js';
import { PartitionState } from './partition-state.js';
import { RackCoolingDetector } from './rack-cooling.js';
import { gpuIdentity, hostIdentity, rackIdentity, RetiredEpisodes } from './retired-episodes.js';
import { RowRemapFailureDetector } from './row-remap.js';
import { AbsenceDetector } from './absence.js';
import { StallDetector } from './stall.js';
import { StragglerDetector } from './straggler.js';
import { TemperatureRiseDetector } from './temperature-rise.js';
import { CauseRollup, type CoveringCause } from './cause-rollup.js';
import { HbmTemperatureDetector, ThermalDetector } from './thermal.js';
import { XidDetector } from './xid.js';
import { EccStormDetector } from './ecc-storm.js';
import { FabricDetector, rackFabricSpec } from './fabric.js';
import { ModulePowerDetector } from './module-power.js';
import { NvlinkDetector, rackNvlinkSpec } from './nvlink.js';
import { RackPowerSwingDetector } from './rack-power.js';
import { RackRollupDetector } from './rack-rollup.js';
import { ThermalMarginDetector } from './thermal-margin.js';

/**
 * Every detector of one partition behind the four calls the aggregator makes, in event time:
 * each decoded sample, each closed window, the end of a window-closing pass (when group-level judgements such as peer
 * comparison or rack-wide events can be made), and a periodic tick for what only wall-clock time reveals.
 * Each rule of `config` runs unless its `enabled` is false.
 *
 * Detection is a GpuStateOwner: added to the GpuRegistry, it forgets what it knows of a GPU the registry reclaims.
 */
export class Detection implements GpuStateOwner {
  readonly detectors: readonly Detector[];
  /** Detectors with a per-sample judgement, in one array so the hot loop skips the others. */
  private readonly perSample: readonly Detector[];
  private readonly tracks: readonly AlertTrack[];
  private readonly gpuTracks: readonly AlertTrack[];
  private readonly forgetters: readonly Detector[];
  private readonly retired = new RetiredEpisodes();
  private readonly xid: XidDetector | undefined;
  private readonly state: PartitionState;
  private readonly causes: CauseRollup;
  /** What detectors emit to: GPU alerts through the cause roll-up, the others straight out. */
  private readonly emit: EmitAlert;

  constructor(
    private readonly registry: GpuRegistry,
    config: DetectConfig,
    emit: EmitAlert,
  ) {
    const { rack_cooling, temperature_rise, rack_power_swing } = config;
    this.state = new PartitionState(
      Math.max(
        rack_cooling.lookback_ms + rack_cooling.settle_ms,
        temperature_rise.span_ms,
        rack_power_swing.enabled ? rack_power_swing.span_ms : 0,
      ),
    );
    const state = this.state;
    const slowdownC = config.thermal.default_slowdown_c;
    // The rack roll-ups judge their GPU rule's condition, so they run with it.
    const nvlink = config.nvlink.enabled ? new NvlinkDetector(registry, config.nvlink) : undefined;
    const fabric = config.fabric.enabled ? new FabricDetector(registry, config.fabric, state) : undefined;
    const candidates: [boolean, () => Detector][] = [
      [config.thermal.enabled, () => new ThermalDetector(registry, config.thermal, config.thermal_margin.enabled)],
      [config.thermal_margin.enabled, () => new ThermalMarginDetector(registry, config.thermal_margin)],
      [config.hbm_temperature.enabled, () => new HbmTemperatureDetector(registry, config.hbm_temperature)],
      [
        config.thermal_throttle.enabled,
        () => new ClockEventDetector(registry, config.thermal_throttle, THERMAL_THROTTLE_SPEC),
      ],
      [
        config.temperature_rise.enabled,
        () => new TemperatureRiseDetector(registry, temperature_rise, slowdownC, state),
      ],
      [rack_cooling.enabled, () => new RackCoolingDetector(registry, rack_cooling, slowdownC, state)],
      [config.stall.enabled, () => new StallDetector(registry, config.stall, state)],
      [config.straggler.enabled, () => new StragglerDetector(registry, config.straggler, state)],
      [config.xid.enabled, () => new XidDetector(registry, config.xid)],
      [config.ecc_dbe.enabled, () => new EccDoubleBitDetector(registry, config.ecc_dbe)],
      [config.row_remap_failure.enabled, () => new RowRemapFailureDetector(registry, config.row_remap_failure)],
      [
        config.power_brake.enabled,
        () =>
          new ClockEventDetector(
            registry,
            { ...config.power_brake, mask: ClockEvent.HW_POWER_BRAKE },
            POWER_BRAKE_SPEC,
          ),
      ],
      [
        config.gpu_missing.enabled || config.host_silent.enabled || config.rack_silent.enabled,
        () =>
          new AbsenceDetector(
            registry,
            { gpu: config.gpu_missing, host: config.host_silent, rack: config.rack_silent },
            state,
          ),
      ],
      [config.partition_silent.enabled, () => new PartitionSilentDetector(config.partition_silent, state.topology)],
      [config.ecc_storm.enabled, () => new EccStormDetector(registry, config.ecc_storm)],
      [config.module_power.enabled, () => new ModulePowerDetector(registry, config.module_power)],
      [rack_power_swing.enabled, () => new RackPowerSwingDetector(rack_power_swing, state)],
    ];
    this.detectors = [
      ...candidates.filter(([enabled]) => enabled).map(([, make]) => make()),
      ...(nvlink
        ? [
            nvlink,
            ...(config.rack_nvlink.enabled
              ? [new RackRollupDetector(registry, config.rack_nvlink, rackNvlinkSpec(nvlink), state)]
              : []),
          ]
        : []),
      ...(fabric
        ? [
            fabric,
            ...(config.rack_fabric.enabled
              ? [new RackRollupDetector(registry, config.rack_fabric, rackFabricSpec(fabric), state)]
              : []),
          ]
        : []),
    ];
    this.xid = this.detectors.find((d): d is XidDetector => d instanceof XidDetector);
    this.perSample = this.detectors.filter((d) => d.onSample !== undefined);
    this.tracks = this.detectors.flatMap((d) => d.tracks ?? []);
    this.gpuTracks = this.tracks.filter((t) => t.scope === 'gpu');
    this.forgetters = this.detectors.filter((d) => d.forgetGpu !== undefined);
    const rackCooling = this.detectors.find((d): d is RackCoolingDetector => d instanceof RackCoolingDetector);
    const covers: CoveringCause[] = [];
    if (rackCooling) {
      // A rack losing its coolant pages once for the rack: its GPUs' thermal alerts wait while it may be.
      covers.push({
        pendingFor: (e) =>
          e.labels.category === 'thermal' && rackCooling.suspects(e.labels.cluster ?? '', e.labels.rack ?? ''),
        get holdMs() {
          return rack_cooling.for_ms + 2 * (state.windows.lengthMs || 10_000);
        },
      });
    }
    // A rack-wide NVLink or fabric fault pages once for the rack: its GPUs' alerts of the rule wait while it may.
    for (const d of this.detectors) if (d instanceof RackRollupDetector) covers.push(d);
    this.causes = new CauseRollup(registry, this.gpuTracks, covers, emit);
    this.emit = (e) => (e.labels.gpu === undefined ? emit(e) : this.causes.onGpuEvent(e));
  }

  /** Event time of the newest sample seen: the partition's own clock, which stands still while nothing arrives. */
  get newestEventMs(): number {
    return this.state.topology.newestTs;
  }

  /** A sample, at its event time `batch.eventTs[row]`: its own ts, held to the wall clock at its arrival (EventClock). */
  onSample(batch: SampleBatch, row: number, gpuId: number): void {
    if (this.retired.size > 0) this.resumeRetired(batch, row, gpuId);
    else this.state.onSample(batch, row, gpuId);
    const { perSample, emit } = this;
    for (let i = 0; i < perSample.length; i++) perSample[i]!.onSample!(batch, row, gpuId, emit);
  }

  /**
   * An Xid event of a GPU (event contract v1) at its event time: an occurrence for the Xid rule, when it is enabled.
   * Events do not move the partition's event time; the samples do.
   */
  onXidEvent(gpuId: number, uuid: string, code: number, ts: number): void {
    this.xid?.onEvent(gpuId, uuid, code, ts, this.emit);
  }

  onWindow(window: ClosedWindow): void {
    this.state.onWindow(window);
    for (const d of this.detectors) d.onWindow?.(window, this.emit);
  }

  /** After the windows ending at or before `watermarkMs` have all been handed over. */
  onWindowsClosed(watermarkMs: number): void {
    this.state.closePass();
    this.causes.beginPass();
    for (const d of this.detectors) d.onWindowsClosed?.(watermarkMs, this.emit);
    this.causes.advance(watermarkMs);
  }

  /**
   * Forgets the GPU (GpuRegistry.reclaimIdle): every detector drops its state for the id, which starts clean for the
   * next GPU given it; the GPU's firing alerts are retired, still firing, until the same GPU reports again
   * (RetiredEpisodes). Emits nothing.
   */
  forgetGpu(gpuId: number): void {
    let identity: string | undefined;
    for (const track of this.gpuTracks) {
      const key = track.retire(gpuId);
      if (key === undefined) continue;
      const { registry } = this;
      identity ??= gpuIdentity(
        registry.clusterOf(gpuId),
        registry.hostOf(gpuId),
        registry.gpuIndexOf(gpuId),
        this.state.topology.uuid[gpuId] ?? '',
      );
      this.retired.add(identity, track, key);
    }
    for (const d of this.forgetters) d.forgetGpu!(gpuId);
    this.state.forgetGpu(gpuId);
  }

  /**
   * After a restart: the partition's alerts that were firing (the aggregator's episode journal) are taken up again,
   * each by its track, waiting for its GPU, host or rack to report (RetiredEpisodes), a tray's by the tray roll-up.
   * Observations carry them on: one whose condition still holds pages nobody again, and one whose condition cleared
   * resolves with the startsAt its receivers heard. Returns those no enabled rule holds any more.
   */
  restore(firing: readonly AlertEvent[]): AlertEvent[] {
    const orphans: AlertEvent[] = [];
    const trays: AlertEvent[] = [];
    for (const e of firing) {
      const { cluster = '', rack = '', host, gpu, uuid = '' } = e.labels;
      const scopes: readonly TrackScope[] =
        gpu !== undefined ? ['gpu'] : host !== undefined ? ['host'] : ['rack', 'partition'];
      const track = this.tracks.find((t) => scopes.includes(t.scope) && t.holds(e));
      if (track === undefined) {
        if (host !== undefined && gpu === undefined && this.gpuTracks.some((t) => t.holds(e))) trays.push(e);
        else orphans.push(e);
        continue;
      }
      const key = track.restore(e);
      if (track.scope === 'partition') track.resume(0, key);
      else {
        const identity =
          gpu !== undefined
            ? gpuIdentity(cluster, host ?? '', Number(gpu), uuid)
            : host !== undefined
              ? hostIdentity(cluster, host)
              : rackIdentity(cluster, rack);
        this.retired.add(identity, track, key);
      }
    }
    for (const tray of trays) this.causes.restore(tray, firing);
    return orphans;
  }

  /**
   * A message arrived at wall time `wallMs`; the partition has heard its hosts since `resumedWall` (its first arrival
   * or the first after a quiet spell: EventClock.resumedWall).
   */
  arrived(wallMs: number, resumedWall: number): void {
    const { topology } = this.state;
    topology.arrivalWall = wallMs;
    topology.resumedWall = resumedWall;
  }

  /** A sample while alerts wait for their GPU, host or rack: those it brings back take them up. */
  private resumeRetired(batch: SampleBatch, row: number, gpuId: number): void {
    const { topology } = this.state;
    const hosts = topology.hostCount;
    const racks = topology.rackCount;
    if (!topology.isKnown(gpuId))
      this.retired.resume(gpuIdentity(batch.cluster[row]!, batch.host[row]!, batch.gpu[row]!, batch.uuid[row]!), gpuId);
    this.state.onSample(batch, row, gpuId);
    if (topology.hostCount > hosts)
      this.retired.resume(hostIdentity(batch.cluster[row]!, batch.host[row]!), topology.hostOf[gpuId]!);
    if (topology.rackCount > racks)
      this.retired.resume(rackIdentity(batch.cluster[row]!, batch.rack[row]!), topology.rackOf[gpuId]!);
  }

  /** Periodically, with the wall clock and the partition's watermark (NaN before any sample). */
  onTick(wallNowMs: number, watermarkMs: number): void {
    for (const d of this.detectors) d.onTick?.(wallNowMs, watermarkMs, this.emit);
    this.causes.advance(watermarkMs);
  }
}

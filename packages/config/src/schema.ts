import { z } from 'zod';
import { SECRET } from './schema-walk.js';

/** host:port on which a Kiln HTTP endpoint listens. Loopback by default everywhere. */
const listen = z
  .string()
  .regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9093')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535, 'the port must be 0..65535');
const duration = z.number().int().nonnegative();
const token = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a subject token: [A-Za-z0-9_-]{1,64}');

const natsSection = z
  .object({
    /** One server URL or a list. Unset: `kiln up` starts its own nats-server under data_dir. */
    url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    user: z.string().optional(),
    password: z.string().meta(SECRET).optional(),
    token: z.string().meta(SECRET).optional(),
    /** Path of a .creds file (JWT + NKey seed). */
    creds: z.string().optional(),
    /** Path of a file holding an NKey user seed (SU…): the server knows the user by its public key. */
    nkey_seed_file: z.string().optional(),
    /** TLS to the server: ca_file verifies the server; cert_file + key_file present a client certificate (mutual TLS). */
    tls: z
      .object({ ca_file: z.string().optional(), cert_file: z.string().optional(), key_file: z.string().optional() })
      .strict()
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), 'cert_file and key_file go together')
      .optional(),
    /** Stream replicas: 1 on one server, 3 in a production cluster. */
    replicas: z.number().int().min(1).max(5).default(1),
    /** Port of the nats-server `kiln up` starts; 0 = any free port. */
    port: z.number().int().min(0).max(65535).default(4222),
    /**
     * Partitions of the GPU stream. Above 1 the NATS servers map each sample subject to a partition by its rack
     * (`kiln nats-config` prints the mapping; `kiln up` writes it into the server it starts), and aggregators share
     * the partitions. Every process and every server must agree on it.
     */
    partitions: z.number().int().min(1).max(1024).default(1),
    /** How long raw messages stay in the GPU stream: the horizon for replays and crash recovery (README: capacity). */
    gpu_retention_ms: z.number().int().min(60_000).default(24 * 3_600_000),
    /** A disk budget for the GPU stream, in bytes; the oldest messages go first when it is full. Unset: no budget. */
    gpu_max_bytes: z.number().int().positive().optional(),
  })
  .strict();

const clickhouseSection = z
  .object({
    /** A ClickHouse server. Unset: the embedded engine (chdb) under data_dir. */
    url: z.string().url().optional(),
    user: z.string().optional(),
    password: z.string().meta(SECRET).optional(),
    /** Where `kiln up` / `kiln store` serve the embedded engine over ClickHouse's HTTP interface. */
    listen: listen.default('127.0.0.1:8123'),
    /** A ClickHouse cluster (remote_servers name) to create the schema on: Replicated tables and Distributed ones
     *  over the shards, `ON CLUSTER` (deploy/clickhouse). Needs `url`. */
    cluster: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a cluster name from remote_servers').optional(),
    /** Raw samples are kept this long (days); older samples are rejected at ingest. */
    raw_retention_days: z.number().int().min(1).max(3650).default(14),
  })
  .strict();

const aggregatorSection = z
  .object({
    /** Name of the durable consumers and checkpoints: `<consumer>` with one partition, `<consumer>-p<k>` with more. */
    consumer: token.default('kiln-aggregator'),
    /** This process among the aggregators sharing the partitions; unset: `<hostname>-<pid>`. */
    instance: token.optional(),
    /** A partition whose owner has not renewed its lease for this long moves to another aggregator. */
    lease_ms: z.number().int().min(1_000).max(600_000).default(10_000),
    /**
     * A GPU from which no sample has arrived for this long (the partition's event time) has left the fleet: its state
     * is reclaimed and its id reused. Its firing alerts stay firing (a pulled GPU's page is a person's to close).
     */
    forget_gpu_after_ms: z.number().int().min(600_000).default(3_600_000),
    /**
     * Flush a batch when it holds this many GPU-samples, divided among the partitions (nats.partitions) … A batch that
     * spans several ticks of its GPUs makes each rollup view write one row per GPU and window instead of one per
     * sample (test/bench/pipeline.js): for live batches to span flush_ms, about the fleet's GPUs × flush seconds. The
     * default lets a catch-up of a 20,000-GPU fleet insert 10 ticks at a time.
     * Memory: about 730 B per row (two batches of decoded rows, one insert body), in the process serving them, taken
     * as batches grow: a small fleet's batches stay small.
     */
    batch_rows: z.number().int().min(8).max(10_000_000).default(200_000),
    /**
     * … or when its oldest message has waited this long: live, a batch then holds this many seconds of its GPUs'
     * samples (ClickHouse's Kafka engine flushes every 7.5 s for the same reason). Alerts do not wait for it.
     */
    flush_ms: duration.default(5_000),
    /** Accepted clock skew for samples from the future. */
    future_skew_ms: duration.default(300_000),
    /** Event-time windows stay open this long after the watermark passes their end. */
    allowed_lateness_ms: duration.default(5_000),
    /** Tumbling window lengths, in ms. */
    windows_ms: z.array(z.number().int().positive()).min(1).default([10_000, 60_000]),
  })
  .strict();

const alertSeverity = z.enum(['critical', 'warning', 'info']);

/**
 * Keys every detection rule takes: whether it runs (every rule does by default), Prometheus' `for` (how long the
 * condition must hold before the alert fires) and `keep_firing_for` (how long a firing alert stays firing once the
 * condition clears), both in event time.
 */
function ruleTiming(forMs: number, keepFiringForMs: number) {
  return {
    enabled: z.boolean().default(true),
    for_ms: duration.default(forMs),
    keep_firing_for_ms: duration.default(keepFiringForMs),
  };
}

/** GpuTemperatureNearSlowdown: GPU temperature against the GPU's own slowdown threshold. */
const thermalRule = z
  .object({
    ...ruleTiming(10_000, 0),
    /** Fire at temp_c >= slowdown_temp_c - margin_c. */
    margin_c: z.number().min(0).max(50).default(5),
    /** Used when a GPU reports no slowdown_temp_c. */
    default_slowdown_c: z.number().min(30).max(150).default(87),
    /** Exit threshold sits this far below the entry threshold (hysteresis). */
    hysteresis_c: z.number().min(0).max(20).default(2),
    severity: alertSeverity.default('critical'),
  })
  .strict();

/** GpuMemoryTemperatureNearLimit: HBM temperature against the GPU's own memory maximum operating temperature. */
const hbmTemperatureRule = z
  .object({
    ...ruleTiming(10_000, 0),
    /** Fire at mem_temp_c >= mem_max_temp_c - margin_c. */
    margin_c: z.number().min(0).max(50).default(3),
    /** Used when a GPU reports no mem_max_temp_c. */
    default_max_c: z.number().min(30).max(150).default(95),
    hysteresis_c: z.number().min(0).max(20).default(2),
    severity: alertSeverity.default('critical'),
  })
  .strict();

/** A clock-event (throttle reason) bitmask: DCGM field 112. */
const clockEventMask = z.number().int().min(1).max(0xffff_ffff);

/** GpuThermalThrottling: clock_events carries a thermal slowdown bit (SW thermal 0x20, HW thermal 0x40), sustained. */
const thermalThrottleRule = z
  .object({ ...ruleTiming(30_000, 60_000), mask: clockEventMask.default(0x60), severity: alertSeverity.default('critical') })
  .strict();

/**
 * GpuTemperatureRising: the GPU temperature climbs fast enough that a linear forecast reaches the slowdown threshold
 * within `horizon_ms`, while already within `near_c` of it. Judged on closed windows.
 */
const temperatureRiseRule = z
  .object({
    ...ruleTiming(10_000, 30_000),
    /** The rate is the least-squares slope of the window means over this span. */
    span_ms: z.number().int().min(10_000).max(600_000).default(30_000),
    min_rate_c_per_min: z.number().positive().max(100).default(3),
    horizon_ms: z.number().int().min(1_000).max(3_600_000).default(60_000),
    near_c: z.number().min(0).max(60).default(12),
    severity: alertSeverity.default('critical'),
  })
  .strict();

/**
 * RackCoolingFailure: one rack-level alert when many GPUs of one rack heat up without a rise in power (coolant, not
 * load) or are hot (near their slowdown threshold, or thermally throttled) at the same time.
 */
const rackCoolingRule = z
  .object({
    ...ruleTiming(10_000, 300_000),
    /** Affected GPUs needed: at least min_gpus and at least min_fraction of the rack's reporting GPUs. */
    min_gpus: z.number().int().min(2).max(1000).default(8),
    min_fraction: z.number().gt(0).max(1).default(0.25),
    /** Once firing, the alert holds while at least exit_ratio of that count stays affected. */
    exit_ratio: z.number().gt(0).max(1).default(0.5),
    /** Heating: temperature up by rise_c over lookback_ms … */
    rise_c: z.number().positive().max(50).default(4),
    lookback_ms: z.number().int().min(20_000).max(1_800_000).default(60_000),
    /**
     * … while power stayed within power_tolerance_w over the lookback and settle_ms before it: after a load step the
     * die still follows its thermal lag (time constant ~25 s on a cold plate), which is not heating.
     */
    power_tolerance_w: z.number().positive().max(2000).default(100),
    settle_ms: z.number().int().min(0).max(1_800_000).default(60_000),
    /** Hot: temp_c >= slowdown_temp_c - hot_margin_c, or a thermal clock event. */
    hot_margin_c: z.number().min(0).max(50).default(5),
    severity: alertSeverity.default('critical'),
  })
  .strict();

/** Activity of a GPU: the window mean of sm_active, or util_pct / 100 where sm_active is not read. */
const activity = z.number().min(0).max(1);

/**
 * GpuStalled: near-zero activity while the GPU's peer group (its job, else its rack) is busy. keep_firing_for outlasts
 * a checkpoint (20–40 s), when the group is not busy and nobody is judged stalled.
 */
const stallRule = z
  .object({
    ...ruleTiming(60_000, 120_000),
    max_activity: activity.default(0.05),
    /** Once stalled, the GPU counts as running again above this activity. */
    exit_activity: activity.default(0.1),
    /** The peer group is busy when its median activity reaches this. */
    peer_busy: activity.default(0.5),
    /** Peers (other GPUs of the group with a window) needed for a judgement. */
    min_peers: z.number().int().min(1).max(10_000).default(4),
    severity: alertSeverity.default('critical'),
  })
  .strict()
  .refine((r) => r.exit_activity >= r.max_activity, { message: 'exit_activity must be >= max_activity', path: ['exit_activity'] });

/**
 * GpuStraggler: SM clock, SM activity or power well below the peer-group median: robust z = 0.6745·(x − median)/MAD
 * at or below −z and at least min_drop below the median, persistent for `for_ms`.
 */
const stragglerRule = z
  .object({
    ...ruleTiming(180_000, 120_000),
    z: z.number().positive().max(100).default(3.5),
    /** Once straggling, the GPU stays so while some metric keeps z <= −exit_z and half of min_drop. */
    exit_z: z.number().positive().max(100).default(2.5),
    /** Relative shortfall to the median needed as well, so a tight group's tiny spread does not make outliers. */
    min_drop: z.number().gt(0).max(1).default(0.08),
    /** GPUs below this activity are idle or stalled, not slow. */
    min_activity: activity.default(0.2),
    peer_busy: activity.default(0.5),
    min_peers: z.number().int().min(2).max(10_000).default(8),
    severity: alertSeverity.default('warning'),
  })
  .strict()
  .refine((r) => r.exit_z <= r.z, { message: 'exit_z must be <= z', path: ['exit_z'] });

/** GpuXidError: the GPU's last Xid is one of the listed codes (reference/gpu-telemetry.md §4). */
const xidCode = z.number().int().min(1).max(65535);
const xidRule = z
  .object({
    ...ruleTiming(0, 300_000),
    /** Paged as critical: the FATAL class of NVIDIA's Xid catalog. */
    fatal_codes: z
      .array(xidCode)
      .default([46, 48, 62, 64, 74, 79, 95, 109, 119, 120, 136, 140, 144, 145, 146, 147, 148, 149, 150, 155, 156]),
    /** Raised as warnings: hardware Xids that do not stop the GPU. Application Xids (13, 31, 43, 45) are not listed. */
    warning_codes: z.array(xidCode).default([63, 92, 94, 121]),
  })
  .strict();

/** GpuEccDoubleBitErrors: ecc_dbe_vol increased (a counter that goes down restarted; never a negative delta). */
const eccRule = z.object({ ...ruleTiming(0, 600_000), severity: alertSeverity.default('critical') }).strict();

/** GpuRowRemapFailure: row_remap_failure is set. */
const rowRemapRule = z.object({ ...ruleTiming(0, 0), severity: alertSeverity.default('critical') }).strict();

/** GpuPowerBrakeSlowdown: clock_events carries HW power brake (0x80), sustained. */
const powerBrakeRule = z.object({ ...ruleTiming(10_000, 60_000), severity: alertSeverity.default('critical') }).strict();

/**
 * GpuMissing, HostSilent, RackSilent: a GPU absent from its host's messages, a host silent while its rack goes on, a
 * rack silent while the partition goes on, each for `after_ms` of the container's event time.
 */
const silenceRule = (afterMs: number) =>
  z
    .object({ enabled: z.boolean().default(true), after_ms: z.number().int().min(1_000).default(afterMs), severity: alertSeverity.default('critical') })
    .strict();

/** PartitionSilent: no sample at all for `after_ms` of wall-clock time, after samples had arrived. */
const partitionSilentRule = z
  .object({ enabled: z.boolean().default(true), after_ms: z.number().int().min(1_000).default(60_000), severity: alertSeverity.default('critical') })
  .strict();

const detectSection = z
  .object({
    thermal: thermalRule.prefault({}),
    hbm_temperature: hbmTemperatureRule.prefault({}),
    thermal_throttle: thermalThrottleRule.prefault({}),
    temperature_rise: temperatureRiseRule.prefault({}),
    rack_cooling: rackCoolingRule.prefault({}),
    stall: stallRule.prefault({}),
    straggler: stragglerRule.prefault({}),
    xid: xidRule.prefault({}),
    ecc_dbe: eccRule.prefault({}),
    row_remap_failure: rowRemapRule.prefault({}),
    power_brake: powerBrakeRule.prefault({}),
    gpu_missing: silenceRule(30_000).prefault({}),
    host_silent: silenceRule(30_000).prefault({}),
    rack_silent: silenceRule(60_000).prefault({}),
    partition_silent: partitionSilentRule.prefault({}),
  })
  .strict();

const basicAuth = z.object({ user: z.string().min(1), password: z.string().min(1).meta(SECRET) }).strict();

const alerterSection = z
  .object({
    listen: listen.default('127.0.0.1:9093'),
    /**
     * Required for creating and expiring silences and posting alerts when set; reads stay open unless protect_reads
     * (the health endpoints /-/healthy and /-/ready always do).
     */
    basic_auth: basicAuth.extend({ protect_reads: z.boolean().default(false) }).optional(),
    /** Durable consumer of the alert event stream. */
    consumer: token.default('kiln-alerter'),
    /** How long a failing receiver is retried before the notification is reported failed. */
    retry_for_ms: duration.default(600_000),
    /** Per-request timeout for receivers. */
    timeout_ms: duration.default(10_000),
    /** Link put in notifications (Alertmanager's externalURL). */
    external_url: z.string().optional(),
    /**
     * The built-in topology inhibitions (docs/paging.md): rack cooling mutes its GPUs' thermal alerts, a tray its GPUs,
     * a silent host its missing GPUs, a silent rack its hosts, a silent partition its racks. inhibit_rules add to them.
     */
    default_inhibitions: z.boolean().default(true),
    /** Prefix of the JetStream KV buckets holding the alerter's state (alerts, notification log, silences, leader). */
    state_bucket: token.default('kiln_alerter'),
    /**
     * Alerters sharing one state_bucket elect one of them to consume and notify; the others stand by and forward their
     * API requests to it. A leader that stops renewing its lease for this long is replaced.
     */
    lease_ms: z.number().int().min(1_000).max(60_000).default(5_000),
    /**
     * This alerter's API as the other alerters reach it (they forward requests to the leader), e.g.
     * http://10.0.3.7:9093. Unset: http://<listen host, or this machine's hostname for a wildcard>:<port>.
     */
    advertise_url: z.string().url().optional(),
    /** An alert posted to the API without endsAt resolves this long after its last update (Alertmanager's resolve_timeout). */
    resolve_timeout_ms: duration.default(300_000),
    /** An alert that starts this many episodes within flap_window_ms is flapping: one notification, then quiet. 0 disables. */
    flap_threshold: z.number().int().min(0).max(100).default(3),
    flap_window_ms: duration.default(600_000),
    /** A flapping alert resolves once it has stayed clear this long. */
    flap_quiet_ms: duration.default(600_000),
    /** Expired silences, the notification log and resolved alerts are kept this long (Alertmanager's --data.retention). */
    retention_ms: duration.default(120 * 3_600_000),
  })
  .strict();

const metricsSection = z
  .object({
    /** Kiln's own Prometheus endpoint: /metrics, /healthz (process up), /readyz (connected, streams present). */
    listen: listen.default('127.0.0.1:9464'),
    /**
     * An OTLP/HTTP receiver (e.g. http://otel-collector:4318): metrics are pushed to <otlp_endpoint>/v1/metrics every
     * otlp_interval_ms and sampled traces to <otlp_endpoint>/v1/traces. Unset: no push and no traces.
     */
    otlp_endpoint: z.string().url().optional(),
    otlp_interval_ms: z.number().int().min(1_000).max(3_600_000).default(15_000),
    /** Share of insert batches and notifications traced when otlp_endpoint is set (head sampling by trace id). */
    trace_sample_ratio: z.number().min(0).max(1).default(0.1),
  })
  .strict();

const agentSection = z
  .object({
    /** Unset: discovered from the machine where possible (services/agent/README.md, "Identity"). */
    cluster: token.optional(),
    rack: token.optional(),
    host: token.optional(),
    source: z.enum(['nvidia-smi', 'dcgm', 'sim']).default('nvidia-smi'),
    /** Path of nvidia-smi; default: found on PATH. */
    nvidia_smi: z.string().optional(),
    /** dcgm-exporter's metrics URL, e.g. http://127.0.0.1:9400/metrics. */
    dcgm_url: z.string().url().optional(),
    interval_ms: z.number().int().min(100).max(600_000).default(1000),
    /** GPUs this host should report (4 on a GB300 tray); fewer in a tick are reported missing. Unset: those found at start. */
    expected_gpus: z.number().int().min(1).max(8).optional(),
    /** Per-GPU thermal limits (slowdown, HBM max) are read at start and again this often. */
    limits_refresh_ms: z.number().int().min(10_000).default(600_000),
    /** Where samples wait while NATS is away, and the persisted sequence. Default <data_dir>/agent; relative = under data_dir. */
    spool_dir: z.string().optional(),
    /** Spool bounds: past either, the oldest samples are dropped (counted and logged). */
    spool_max_bytes: z.number().int().min(1_048_576).default(256 * 1_048_576),
    spool_max_age_ms: z.number().int().min(60_000).default(86_400_000),
    /** Publishes awaiting their PubAck at once (live and replay each). */
    inflight: z.number().int().min(1).max(4096).default(64),
    /** A publish not acknowledged within this is spooled (and re-sent with the same Nats-Msg-Id). */
    ack_timeout_ms: z.number().int().min(100).max(600_000).default(5000),
  })
  .strict();

const simulateSection = z
  .object({
    /** `kiln up` also runs the simulator (the one-machine demo). `kiln simulate` runs it regardless. */
    enabled: z.boolean().default(false),
    cluster: token.default('sim-ai1'),
    racks: z.number().int().min(1).max(2000).default(1),
    seed: z.number().int().default(1),
    interval_ms: z.number().int().min(10).default(1000),
    /** realtime: one tick per interval of wall time; replay: as fast as possible in event time. */
    mode: z.enum(['realtime', 'replay']).default('realtime'),
    /** Fault specs, e.g. "overheat:r0001-t03/2@60s+180s". */
    faults: z.array(z.string()).default([]),
  })
  .strict();

/** Requests per minute with a burst allowance; notifications over it wait and coalesce, none is dropped. */
const rateLimit = z.object({ per_minute: z.number().positive().max(600_000), burst: z.number().int().min(1).max(10_000) }).strict();
/** Keys every receiver takes. `name` is what routes refer to. */
const receiverCommon = {
  name: z.string().min(1).max(128).optional(),
  /** Whether the receiver hears of resolved alerts (default true; false for slack, as in Alertmanager). */
  send_resolved: z.boolean().optional(),
  rate_limit: rateLimit.optional(),
};

const receiver = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook'),
      ...receiverCommon,
      url: z.string().url(),
      /** At most this many alerts per payload, the rest counted in truncatedAlerts (0 = all). */
      max_alerts: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('pagerduty'),
      ...receiverCommon,
      routing_key: z.string().min(1).meta(SECRET),
      url: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
      /** `alert`: one PagerDuty alert per Kiln alert; `group`: one per route group, as Alertmanager does. */
      incident: z.enum(['alert', 'group']).default('alert'),
    })
    .strict(),
  z
    .object({
      type: z.literal('slack'),
      ...receiverCommon,
      /** Incoming webhook URL (a secret). */
      url: z.string().url().meta(SECRET),
      channel: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      icon_emoji: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('alertmanager'),
      ...receiverCommon,
      /** Base URL of the Alertmanager; alerts go to <url>/api/v2/alerts. */
      url: z.string().url(),
      basic_auth: basicAuth.optional(),
      /** Firing alerts are sent again this often so the Alertmanager does not time them out. */
      resend_interval_ms: z.number().int().min(1_000).optional(),
    })
    .strict(),
]);

/** A duration as Alertmanager writes it ("500ms", "30s", "5m", "1h30m", "2d") or a number of milliseconds. */
const amDuration = z.union(
  [
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/)
      .refine((s) => s !== '')
      .transform(parseDurationMs),
  ],
  { error: 'expected a duration such as 500ms, 30s, 5m, 4h, or a number of milliseconds' },
);

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

function parseDurationMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|[ywdhms])/g)) ms += Number(n) * (DURATION_UNIT_MS[unit as string] as number);
  return ms;
}

/** Alertmanager matchers: 'name="value"', 'name!="value"', 'name=~"regex"', 'name!~"regex"' (checked by the alerter). */
const matchers = z.array(z.string().min(1));

/** A node of the routing tree, in Alertmanager's shape. Unset keys are inherited from the parent. */
export interface RouteConfig {
  receiver?: string | undefined;
  group_by?: string[] | undefined;
  matchers?: string[] | undefined;
  continue?: boolean | undefined;
  group_wait?: number | undefined;
  group_interval?: number | undefined;
  repeat_interval?: number | undefined;
  routes?: RouteConfig[] | undefined;
}

const route: z.ZodType<RouteConfig, unknown> = z.lazy(() =>
  z
    .object({
      receiver: z.string().min(1).optional(),
      /** Labels that split alerts into groups; ['...'] groups by all labels (one alert per group). */
      group_by: z.array(z.string().min(1)).optional(),
      matchers: matchers.optional(),
      continue: z.boolean().optional(),
      group_wait: amDuration.optional(),
      group_interval: amDuration.optional(),
      repeat_interval: amDuration.optional(),
      routes: z.array(route).optional(),
    })
    .strict(),
);

const inhibitRule = z
  .object({
    name: z.string().min(1).optional(),
    source_matchers: matchers.min(1),
    target_matchers: matchers.min(1),
    /** Labels that must have equal values on source and target (a missing label equals an empty one). */
    equal: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const configSchema = z
  .object({
    data_dir: z.string().min(1).default('./.kiln'),
    nats: natsSection.prefault({}),
    clickhouse: clickhouseSection.prefault({}),
    aggregator: aggregatorSection.prefault({}),
    detect: detectSection.prefault({}),
    alerter: alerterSection.prefault({}),
    metrics: metricsSection.prefault({}),
    agent: agentSection.prefault({}),
    simulate: simulateSection.prefault({}),
    /** The receivers; routes name them by `name`. Without `route`, every alert goes to every receiver. */
    notify: z.array(receiver).default([]),
    route: route.optional(),
    inhibit_rules: z.array(inhibitRule).default([]),
  })
  .strict();

export type KilnConfig = z.infer<typeof configSchema>;
export type ReceiverConfig = z.infer<typeof receiver>;
export type InhibitRuleConfig = z.infer<typeof inhibitRule>;
export type ThermalRuleConfig = z.infer<typeof thermalRule>;

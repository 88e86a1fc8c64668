import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { SECRET } from './schema-walk.js';

/** host:port on which a Kiln HTTP endpoint listens. Loopback by default everywhere. */
const listen = z
  .string()
  .regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9093')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535, 'the port must be 0..65535')
  .meta({ title: 'host:port' });
const duration = z.number().int().nonnegative();
const token = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a subject token: [A-Za-z0-9_-]{1,64}')
  .meta({ title: 'name of [A-Za-z0-9_-], 1 to 64' });

const natsSection = z
  .object({
    url: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('One server URL or a list. Unset: `kiln up` starts its own nats-server under data_dir.'),
    user: z.string().optional().describe('User name, with password.'),
    password: z.string().meta(SECRET).optional().describe('Password of user.'),
    token: z.string().meta(SECRET).optional().describe('Authentication token (instead of user and password).'),
    creds: z.string().optional().describe('Path of a .creds file (JWT + NKey seed).'),
    nkey_seed_file: z
      .string()
      .optional()
      .describe('Path of a file holding an NKey user seed (SU…): the server knows the user by its public key.'),
    tls: z
      .object({
        ca_file: z.string().optional().describe('CA certificate(s) that verify the server.'),
        cert_file: z.string().optional().describe('Client certificate for mutual TLS; needs key_file.'),
        key_file: z.string().optional().describe('Private key of cert_file.'),
      })
      .strict()
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), 'cert_file and key_file go together')
      .optional()
      .describe('TLS to the server.'),
    replicas: z.number().int().min(1).max(5).default(1).describe('Stream and KV bucket replicas: 1 on one server, 3 in a production cluster.'),
    port: z.number().int().min(0).max(65535).default(4222).describe('Port of the nats-server `kiln up` starts; 0 = any free port.'),
    // Every process and every server must agree on it: the mapping decides which consumer sees which rack.
    partitions: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(1)
      .describe(
        'Partitions of the GPU stream by rack. Above 1 every NATS server maps each sample subject to its partition ' +
          '(`kiln partitions --mapping` prints the mapping; `kiln up` writes it into the server it starts) and aggregators share the partitions.',
      ),
    gpu_retention_ms: z
      .number()
      .int()
      .min(60_000)
      .default(24 * 3_600_000)
      .describe('How long raw messages stay in the GPU stream: the horizon for replays and crash recovery.'),
    gpu_max_bytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Disk budget of the GPU stream in bytes; the oldest messages go first when it is full. Unset: no budget.'),
  })
  .strict();

const clickhouseSection = z
  .object({
    url: z.string().url().optional().describe('A ClickHouse server. Unset: the embedded engine (chdb) under data_dir.'),
    user: z.string().optional().describe("User for the server; for the served embedded engine, the writer's user."),
    password: z.string().meta(SECRET).optional().describe('Password of user.'),
    listen: listen.default('127.0.0.1:8123').describe("Where `kiln up` / `kiln store` serve the embedded engine on ClickHouse's HTTP interface."),
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a cluster name from remote_servers')
      .optional()
      .describe('A ClickHouse cluster (remote_servers name) to create the schema on, `ON CLUSTER`: Replicated tables and Distributed ones over the shards. Needs url.'),
    raw_retention_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(14)
      .describe('Raw samples are kept this many days; older samples are rejected at ingest.'),
    read_limits: z
      .object({
        max_execution_time_s: z.number().int().min(1).max(86_400).optional().describe('Seconds a read may run (default 60); past it the engine stops it with TIMEOUT_EXCEEDED.'),
        max_memory_usage: z.number().int().min(2 ** 20).optional().describe('Bytes of memory a read may hold (default 4 GiB).'),
        max_result_rows: z.number().int().min(1).optional().describe('Rows a read may return (default 1,000,000).'),
        max_threads: z.number().int().min(1).max(1024).optional().describe('Threads a read may use (default half the cores, so inserts keep the rest).'),
      })
      .strict()
      .prefault({})
      .describe('What an anonymous read of the served embedded engine (Grafana, an operator) may use at most; a request may ask for less, never more.'),
  })
  .strict();

const aggregatorSection = z
  .object({
    consumer: token
      .default('kiln-aggregator')
      .describe('Name of the durable consumers and checkpoints: `<consumer>` with one partition, `<consumer>-p<k>` with more.'),
    instance: token.optional().describe('This process among the aggregators sharing the partitions. Unset: `<hostname>-<pid>`.'),
    lease_ms: z
      .number()
      .int()
      .min(1_000)
      .max(600_000)
      .default(10_000)
      .describe('A partition whose owner has not renewed its lease for this long moves to another aggregator.'),
    // A pulled GPU's page is a person's to close, so forgetting it resolves nothing.
    forget_gpu_after_ms: z
      .number()
      .int()
      .min(600_000)
      .default(3_600_000)
      .describe(
        'A GPU silent this long (the partition\'s event time) has left the fleet: its state is reclaimed and its id reused. Its firing alerts stay firing.',
      ),
    /*
     * A batch that spans several ticks of its GPUs makes each rollup view write one row per GPU and window instead of
     * one per sample (test/bench/pipeline.js). The default lets a catch-up of a 20,000-GPU fleet insert 10 ticks at a
     * time. Memory is taken as batches grow: a small fleet's batches stay small.
     */
    batch_rows: z
      .number()
      .int()
      .min(8)
      .max(10_000_000)
      .default(200_000)
      .describe(
        'Flush a batch at this many GPU-samples, divided among the partitions. For live batches to span flush_ms: about the ' +
          "fleet's GPUs × flush seconds. Memory: about 730 B per row in the process serving them.",
      ),
    // Live, a batch then holds seconds of its GPUs' samples, so the rollup views write fewer rows (ClickHouse's Kafka
    // engine flushes every 7.5 s for the same reason).
    flush_ms: duration
      .default(5_000)
      .describe('… or when its oldest message has waited this long. Alerts never wait for a batch.'),
    future_skew_ms: duration.default(300_000).describe('Samples further than this in the future are rejected (future_ts).'),
    allowed_lateness_ms: duration
      .default(5_000)
      .describe('Event-time windows stay open this long after the watermark passes their end.'),
    windows_ms: z
      .array(z.number().int().positive())
      .min(1)
      .default([10_000, 60_000])
      .describe('Tumbling window lengths in ms.'),
  })
  .strict();

const alertSeverity = z.enum(['critical', 'warning', 'info']);
const severity = (level: z.infer<typeof alertSeverity>) => alertSeverity.default(level).describe('The alert\'s severity label.');

/**
 * Keys every detection rule takes: whether it runs (every rule does by default), Prometheus' `for` (how long the
 * condition must hold before the alert fires) and `keep_firing_for` (how long a firing alert stays firing once the
 * condition clears), both in event time.
 */
const ruleEnabled = z.boolean().default(true).describe('Whether the rule runs.');

function ruleTiming(forMs: number, keepFiringForMs: number) {
  return {
    enabled: ruleEnabled,
    for_ms: duration.default(forMs).describe('How long the condition must hold before the alert fires (event time).'),
    keep_firing_for_ms: duration
      .default(keepFiringForMs)
      .describe('How long a firing alert stays firing once the condition clears (event time).'),
  };
}

const hysteresis = z.number().min(0).max(20).default(2).describe('The exit threshold sits this far below the entry threshold.');

/** GpuTemperatureNearSlowdown: GPU temperature against the GPU's own slowdown threshold. */
const thermalRule = z
  .object({
    ...ruleTiming(10_000, 0),
    margin_c: z.number().min(0).max(50).default(5).describe('Fire at temp_c >= slowdown_temp_c − margin_c.'),
    default_slowdown_c: z.number().min(30).max(150).default(87).describe('Used when a GPU reports no slowdown_temp_c.'),
    hysteresis_c: hysteresis,
    severity: severity('critical'),
  })
  .strict();

/** GpuMemoryTemperatureNearLimit: HBM temperature against the GPU's own memory maximum operating temperature. */
const hbmTemperatureRule = z
  .object({
    ...ruleTiming(10_000, 0),
    margin_c: z.number().min(0).max(50).default(3).describe('Fire at mem_temp_c >= mem_max_temp_c − margin_c.'),
    default_max_c: z.number().min(30).max(150).default(95).describe('Used when a GPU reports no mem_max_temp_c.'),
    hysteresis_c: hysteresis,
    severity: severity('critical'),
  })
  .strict();

/** A clock-event (throttle reason) bitmask: DCGM field 112. */
const clockEventMask = z.number().int().min(1).max(0xffff_ffff);

/** GpuThermalThrottling: clock_events carries a thermal slowdown bit (SW thermal 0x20, HW thermal 0x40), sustained. */
const thermalThrottleRule = z
  .object({
    ...ruleTiming(30_000, 60_000),
    mask: clockEventMask.default(0x60).describe('clock_events bits that count as thermal slowdown (0x20 SW thermal, 0x40 HW thermal).'),
    severity: severity('critical'),
  })
  .strict();

/**
 * GpuTemperatureRising: the GPU temperature climbs fast enough that a linear forecast reaches the slowdown threshold
 * within `horizon_ms`, while already within `near_c` of it. Judged on closed windows.
 */
const temperatureRiseRule = z
  .object({
    ...ruleTiming(10_000, 30_000),
    span_ms: z
      .number()
      .int()
      .min(10_000)
      .max(600_000)
      .default(30_000)
      .describe('The rate is the least-squares slope of the window means over this span.'),
    min_rate_c_per_min: z.number().positive().max(100).default(3).describe('Slower heating never fires.'),
    horizon_ms: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(60_000)
      .describe('Fire when the forecast reaches the slowdown threshold within this.'),
    near_c: z.number().min(0).max(60).default(12).describe('… and the GPU is already within this many °C of it.'),
    severity: severity('critical'),
  })
  .strict();

/**
 * RackCoolingFailure: one rack-level alert when many GPUs of one rack heat up without a rise in power (coolant, not
 * load) or are hot (near their slowdown threshold, or thermally throttled) at the same time.
 */
const rackCoolingRule = z
  .object({
    ...ruleTiming(10_000, 300_000),
    min_gpus: z.number().int().min(2).max(1000).default(8).describe('Affected GPUs needed: at least this many …'),
    min_fraction: z.number().gt(0).max(1).default(0.25).describe("… and at least this share of the rack's reporting GPUs."),
    exit_ratio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('Once firing, the alert holds while at least this share of that count stays affected.'),
    rise_c: z.number().positive().max(50).default(4).describe('Heating: temperature up by this much over lookback_ms …'),
    lookback_ms: z.number().int().min(20_000).max(1_800_000).default(60_000).describe('The span heating is judged over.'),
    // After a load step the die still follows its thermal lag (time constant ~25 s on a cold plate), which is not heating.
    power_tolerance_w: z
      .number()
      .positive()
      .max(2000)
      .default(100)
      .describe('… while power stayed within this over the lookback and settle_ms before it.'),
    settle_ms: z.number().int().min(0).max(1_800_000).default(60_000).describe('How long power must have been steady before the lookback.'),
    hot_margin_c: z
      .number()
      .min(0)
      .max(50)
      .default(5)
      .describe('Hot: temp_c >= slowdown_temp_c − hot_margin_c, or a thermal clock event.'),
    severity: severity('critical'),
  })
  .strict();

/** Activity of a GPU: the window mean of sm_active, or util_pct / 100 where sm_active is not read. */
const activity = z.number().min(0).max(1);
const peerBusy = activity.default(0.5).describe('The peer group (job, else rack) is busy when its median activity reaches this.');

/**
 * GpuStalled: near-zero activity while the GPU's peer group (its job, else its rack) is busy. keep_firing_for outlasts
 * a checkpoint (20–40 s), when the group is not busy and nobody is judged stalled.
 */
const stallRule = z
  .object({
    ...ruleTiming(60_000, 120_000),
    max_activity: activity.default(0.05).describe('A GPU at or below this activity is stalled.'),
    exit_activity: activity.default(0.1).describe('Once stalled, the GPU counts as running again above this activity.'),
    peer_busy: peerBusy,
    min_peers: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(4)
      .describe('Peers (other GPUs of the group with a window) needed for a judgement.'),
    severity: severity('critical'),
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
    z: z.number().positive().max(100).default(3.5).describe('Fire at robust z <= −z.'),
    exit_z: z
      .number()
      .positive()
      .max(100)
      .default(2.5)
      .describe('Once straggling, the GPU stays so while some metric keeps z <= −exit_z and half of min_drop.'),
    // A tight group's tiny spread would otherwise make outliers of GPUs a hair below the median.
    min_drop: z.number().gt(0).max(1).default(0.08).describe('Relative shortfall to the median needed as well.'),
    min_activity: activity.default(0.2).describe('GPUs below this activity are idle or stalled, not slow.'),
    peer_busy: peerBusy,
    min_peers: z.number().int().min(2).max(10_000).default(8).describe('Peers needed for a judgement.'),
    severity: severity('warning'),
  })
  .strict()
  .refine((r) => r.exit_z <= r.z, { message: 'exit_z must be <= z', path: ['exit_z'] });

/** GpuXidError: the GPU's last Xid is one of the listed codes (NVIDIA's Xid catalog). */
const xidCode = z.number().int().min(1).max(65535);
const xidRule = z
  .object({
    ...ruleTiming(0, 300_000),
    fatal_codes: z
      .array(xidCode)
      .default([46, 48, 62, 64, 74, 79, 95, 109, 119, 120, 136, 140, 144, 145, 146, 147, 148, 149, 150, 155, 156])
      .describe("Paged as critical: the FATAL class of NVIDIA's Xid catalog."),
    warning_codes: z
      .array(xidCode)
      .default([63, 92, 94, 121])
      .describe('Raised as warnings: hardware Xids that do not stop the GPU. Application Xids (13, 31, 43, 45) are not listed.'),
  })
  .strict();

/** GpuEccDoubleBitErrors: ecc_dbe_vol increased (a counter that goes down restarted; never a negative delta). */
const eccRule = z.object({ ...ruleTiming(0, 600_000), severity: severity('critical') }).strict();

/** GpuRowRemapFailure: row_remap_failure is set. */
const rowRemapRule = z.object({ ...ruleTiming(0, 0), severity: severity('critical') }).strict();

/** GpuPowerBrakeSlowdown: clock_events carries HW power brake (0x80), sustained. */
const powerBrakeRule = z.object({ ...ruleTiming(10_000, 60_000), severity: severity('critical') }).strict();

/**
 * GpuMissing, HostSilent, RackSilent: a GPU absent from its host's messages, a host silent while its rack goes on, a
 * rack silent while the partition goes on, each for `after_ms` of the container's event time.
 */
const silenceRule = (afterMs: number) =>
  z
    .object({
      enabled: ruleEnabled,
      after_ms: z.number().int().min(1_000).default(afterMs).describe('Silence (event time) that fires the alert.'),
      severity: severity('critical'),
    })
    .strict();

/** PartitionSilent: no sample at all for `after_ms` of wall-clock time, after samples had arrived. */
const partitionSilentRule = z
  .object({
    enabled: ruleEnabled,
    after_ms: z.number().int().min(1_000).default(60_000).describe('Silence (wall clock) that fires the alert.'),
    severity: severity('critical'),
  })
  .strict();

const detectSection = z
  .object({
    thermal: thermalRule.prefault({}).describe("GpuTemperatureNearSlowdown: GPU temperature against the GPU's own slowdown threshold."),
    hbm_temperature: hbmTemperatureRule
      .prefault({})
      .describe("GpuMemoryTemperatureNearLimit: HBM temperature against the GPU's own memory maximum."),
    thermal_throttle: thermalThrottleRule.prefault({}).describe('GpuThermalThrottling: a thermal slowdown bit in clock_events, sustained.'),
    temperature_rise: temperatureRiseRule
      .prefault({})
      .describe('GpuTemperatureRising: a linear forecast of the temperature reaches the slowdown threshold soon. Judged on closed windows.'),
    rack_cooling: rackCoolingRule
      .prefault({})
      .describe('RackCoolingFailure: many GPUs of one rack heat without a rise in power, or are hot, at once.'),
    stall: stallRule.prefault({}).describe('GpuStalled: near-zero activity while the peer group is busy.'),
    straggler: stragglerRule
      .prefault({})
      .describe('GpuStraggler: SM clock, SM activity or power well below the peer median (robust z = 0.6745·(x − median)/MAD).'),
    xid: xidRule.prefault({}).describe("GpuXidError: the GPU's last Xid is a listed code."),
    ecc_dbe: eccRule.prefault({}).describe('GpuEccDoubleBitErrors: ecc_dbe_vol increased.'),
    row_remap_failure: rowRemapRule.prefault({}).describe('GpuRowRemapFailure: row_remap_failure is set.'),
    power_brake: powerBrakeRule.prefault({}).describe('GpuPowerBrakeSlowdown: clock_events carries HW power brake (0x80), sustained.'),
    gpu_missing: silenceRule(30_000).prefault({}).describe("GpuMissing: a GPU absent from its host's messages."),
    host_silent: silenceRule(30_000).prefault({}).describe('HostSilent: a host silent while its rack goes on.'),
    rack_silent: silenceRule(60_000).prefault({}).describe('RackSilent: a rack silent while its partition goes on.'),
    partition_silent: partitionSilentRule
      .prefault({})
      .describe('PartitionSilent: no sample at all, after samples had arrived (wall clock).'),
  })
  .strict();

const basicAuth = z
  .object({ user: z.string().min(1).describe('User name.'), password: z.string().min(1).meta(SECRET).describe('Password.') })
  .strict();

const alerterSection = z
  .object({
    listen: listen.default('127.0.0.1:9093').describe("The alerter's HTTP API (Alertmanager API v2), web UI, /-/healthy and /-/ready."),
    basic_auth: basicAuth
      .extend({ protect_reads: z.boolean().default(false).describe('Reads need the credentials too.') })
      .optional()
      .describe(
        'When set, creating and expiring silences, posting alerts and reloading need these credentials; reads too with ' +
          'protect_reads. /-/healthy and /-/ready stay open.',
      ),
    consumer: token.default('kiln-alerter').describe('Durable consumer of the alert event stream.'),
    retry_for_ms: duration
      .default(600_000)
      .describe('How long a failing receiver is retried (exponential backoff, Retry-After honoured) before the notification is reported failed.'),
    timeout_ms: duration.default(10_000).describe('Per-request timeout for receivers.'),
    external_url: z.string().optional().describe("Link put in notifications (Alertmanager's externalURL)."),
    default_inhibitions: z
      .boolean()
      .default(true)
      .describe(
        'The built-in topology inhibitions (docs/paging.md): rack cooling mutes its GPUs\' thermal alerts, a tray its GPUs, a silent ' +
          'host its missing GPUs, a silent rack its hosts, a silent partition its racks. inhibit_rules add to them.',
      ),
    state_bucket: token
      .default('kiln_alerter')
      .describe("Prefix of the KV buckets holding the alerter's state (alerts, notification log, silences, leader)."),
    lease_ms: z
      .number()
      .int()
      .min(1_000)
      .max(60_000)
      .default(5_000)
      .describe(
        'Alerters sharing one state_bucket elect a leader that consumes and notifies; the others forward their API requests to it. ' +
          'A leader that has not renewed its lease for this long is replaced.',
      ),
    advertise_url: z
      .string()
      .url()
      .optional()
      .describe(
        "This alerter's API as the other alerters reach it, e.g. http://10.0.3.7:9093. Unset: http://<listen host, or this machine's hostname for a wildcard>:<port>.",
      ),
    resolve_timeout_ms: duration
      .default(300_000)
      .describe("An alert posted without endsAt resolves this long after its last update (Alertmanager's resolve_timeout)."),
    flap_threshold: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('An alert that starts this many episodes within flap_window_ms is flapping: one notification, then quiet. 0 disables.'),
    flap_window_ms: duration.default(600_000).describe('The span flap_threshold counts episodes over.'),
    flap_quiet_ms: duration.default(600_000).describe('A flapping alert resolves once it has stayed clear this long.'),
    retention_ms: duration
      .default(120 * 3_600_000)
      .describe("Expired silences, the notification log and resolved alerts are kept this long (Alertmanager's --data.retention)."),
  })
  .strict();

const metricsSection = z
  .object({
    listen: listen
      .default('127.0.0.1:9464')
      .describe("Kiln's own Prometheus endpoint: /metrics, /healthz (process up), /readyz (connected, streams present)."),
    otlp_endpoint: z
      .string()
      .url()
      .optional()
      .describe(
        'An OTLP/HTTP receiver (e.g. http://otel-collector:4318): metrics go to <otlp_endpoint>/v1/metrics every otlp_interval_ms, ' +
          'sampled traces to <otlp_endpoint>/v1/traces. Unset: no push and no traces.',
      ),
    otlp_interval_ms: z.number().int().min(1_000).max(3_600_000).default(15_000).describe('How often metrics are pushed.'),
    trace_sample_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Share of insert batches and notifications traced when otlp_endpoint is set (head sampling by trace id).'),
  })
  .strict();

const agentSection = z
  .object({
    cluster: token.optional().describe('Cluster of this host. Unset: discovered from the machine where possible (services/agent/README.md).'),
    rack: token.optional().describe('Rack of this host. Unset: discovered where possible.'),
    host: token.optional().describe('This host. Unset: discovered where possible.'),
    source: z.enum(['nvidia-smi', 'dcgm', 'sim']).default('nvidia-smi').describe('Where the GPU metrics come from.'),
    nvidia_smi: z.string().optional().describe('Path of nvidia-smi. Unset: found on PATH.'),
    dcgm_url: z.string().url().optional().describe("dcgm-exporter's metrics URL, e.g. http://127.0.0.1:9400/metrics."),
    interval_ms: z.number().int().min(100).max(600_000).default(1000).describe('One sample tick per interval.'),
    expected_gpus: z
      .number()
      .int()
      .min(1)
      .max(8)
      .optional()
      .describe('GPUs this host should report (4 on a GB300 tray); fewer in a tick are reported missing. Unset: those found at start.'),
    limits_refresh_ms: z
      .number()
      .int()
      .min(10_000)
      .default(600_000)
      .describe('Per-GPU thermal limits (slowdown, HBM max) are read at start and again this often.'),
    spool_dir: z
      .string()
      .optional()
      .describe('Where samples wait while NATS is away, and the persisted sequence. Unset: <data_dir>/agent; relative: under data_dir.'),
    spool_max_bytes: z
      .number()
      .int()
      .min(1_048_576)
      .default(256 * 1_048_576)
      .describe('Spool size bound: past it the oldest samples are dropped (counted and logged).'),
    spool_max_age_ms: z
      .number()
      .int()
      .min(60_000)
      .default(86_400_000)
      .describe('Spool age bound: older samples are dropped (counted and logged).'),
    inflight: z.number().int().min(1).max(4096).default(64).describe('Publishes awaiting their PubAck at once (live and replay each).'),
    ack_timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5000)
      .describe('A publish not acknowledged within this is spooled (and re-sent with the same Nats-Msg-Id).'),
  })
  .strict();

const simulateSection = z
  .object({
    enabled: z.boolean().default(false).describe('`kiln up` also runs the simulator (the one-machine demo). `kiln simulate` runs it regardless.'),
    cluster: token.default('sim-ai1').describe('Cluster name of the simulated fleet.'),
    racks: z.number().int().min(1).max(2000).default(1).describe('GB300 NVL72 racks simulated (72 GPUs on 18 hosts each).'),
    seed: z.number().int().default(1).describe('Random seed: the same seed gives the same fleet.'),
    interval_ms: z.number().int().min(10).default(1000).describe('Event time between ticks.'),
    mode: z
      .enum(['realtime', 'replay'])
      .default('realtime')
      .describe('realtime: one tick per interval of wall time; replay: as fast as possible in event time.'),
    faults: z
      .array(z.string())
      .default([])
      .describe('Fault specs `<kind>[=<value>]:<host>[/<gpu>]@<start>[+<duration>]`, e.g. "overheat:r0001-t03/2@60s+180s".'),
  })
  .strict();

const rateLimit = z
  .object({
    per_minute: z.number().positive().max(600_000).describe('Sustained requests per minute.'),
    burst: z.number().int().min(1).max(10_000).describe('Requests allowed at once above the sustained rate.'),
  })
  .strict()
  .describe('Requests per minute with a burst allowance; notifications over it wait and coalesce, none is dropped.');
/** Keys every receiver takes. `name` is what routes refer to. */
const receiverCommon = {
  name: z.string().min(1).max(128).optional().describe('What routes call this receiver.'),
  send_resolved: z
    .boolean()
    .optional()
    .describe('Whether the receiver hears of resolved alerts. Unset: true, false for slack (as in Alertmanager).'),
  rate_limit: rateLimit.optional(),
};

const receiver = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook').describe("Alertmanager's webhook payload, version 4."),
      ...receiverCommon,
      url: z.string().url().describe('Where the payload is POSTed.'),
      max_alerts: z.number().int().min(0).optional().describe('At most this many alerts per payload, the rest counted in truncatedAlerts (0 = all).'),
    })
    .strict(),
  z
    .object({
      type: z.literal('pagerduty').describe('PagerDuty Events API v2.'),
      ...receiverCommon,
      routing_key: z.string().min(1).meta(SECRET).describe("The integration's routing key (a secret)."),
      url: z.string().url().default('https://events.pagerduty.com/v2/enqueue').describe('Events API v2 endpoint.'),
      incident: z
        .enum(['alert', 'group'])
        .default('alert')
        .describe('`alert`: one PagerDuty alert per Kiln alert; `group`: one per route group, as Alertmanager does.'),
    })
    .strict(),
  z
    .object({
      type: z.literal('slack').describe('A Slack incoming webhook.'),
      ...receiverCommon,
      url: z.string().url().meta(SECRET).describe('Incoming webhook URL (a secret).'),
      channel: z.string().min(1).optional().describe("Channel instead of the webhook's own."),
      username: z.string().min(1).optional().describe('Name the message is posted under.'),
      icon_emoji: z.string().min(1).optional().describe('Emoji shown as the poster\'s icon, e.g. :fire:.'),
    })
    .strict(),
  z
    .object({
      type: z.literal('alertmanager').describe('Forward alerts to an existing Alertmanager.'),
      ...receiverCommon,
      url: z.string().url().describe('Base URL of the Alertmanager; alerts go to <url>/api/v2/alerts.'),
      basic_auth: basicAuth.optional().describe("The Alertmanager's basic auth credentials."),
      resend_interval_ms: z
        .number()
        .int()
        .min(1_000)
        .optional()
        .describe('Firing alerts are sent again this often so the Alertmanager does not time them out.'),
    })
    .strict(),
]);

/** A duration in Kiln's syntax ("500ms", "30s", "5m", "1h30m", "2d"; see duration.ts) or a number of milliseconds. */
const amDuration = z.union(
  [
    z.number().int().nonnegative(),
    z
      .string()
      .regex(DURATION_PATTERN)
      .refine((s) => parseDuration(s) !== undefined)
      .transform((s) => parseDuration(s) as number),
  ],
  { error: 'expected a duration such as 500ms, 30s, 5m, 4h, or a number of milliseconds' },
).meta({ title: 'duration: 500ms, 30s, 5m, 1h30m, 2d, or milliseconds' });

/** Alertmanager matchers: 'name="value"', 'name!="value"', 'name=~"regex"', 'name!~"regex"' (checked by the alerter). */
const matchers = z.array(z.string().min(1));
const inheritedTimer = (what: string) => amDuration.optional().describe(`${what} Unset: the parent's.`);

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
      receiver: z.string().min(1).optional().describe("The notify entry's name that alerts of this route go to."),
      group_by: z
        .array(z.string().min(1))
        .optional()
        .describe("Labels that split alerts into groups; ['...'] groups by all labels (one alert per group)."),
      matchers: matchers.optional().describe('Alerts this route takes: every matcher must hold.'),
      continue: z.boolean().optional().describe('Go on to the next sibling route after this one matched.'),
      group_wait: inheritedTimer("How long a new group waits for more alerts before its first notification (Kiln's top level: 500 ms)."),
      group_interval: inheritedTimer('Least spacing of a group\'s notifications about changes (top level: 30 s).'),
      repeat_interval: inheritedTimer('An unchanged group still firing is notified again after this (top level: 4 h).'),
      routes: z.array(route).optional().describe('Child routes, tried in order.'),
    })
    .strict(),
).meta({ id: 'route' });

const inhibitRule = z
  .object({
    name: z.string().min(1).optional().describe('A name for logs and the API.'),
    source_matchers: matchers.min(1).describe('An alert firing that matches these …'),
    target_matchers: matchers.min(1).describe('… mutes alerts that match these.'),
    equal: z
      .array(z.string().min(1))
      .default([])
      .describe('Labels that must have equal values on source and target (a missing label equals an empty one).'),
  })
  .strict();

export const configSchema = z
  .object({
    data_dir: z
      .string()
      .min(1)
      .default('./.kiln')
      .describe("State: the nats-server store of `kiln up`, the embedded ClickHouse, the agent's spool. Relative: to the working directory."),
    nats: natsSection.prefault({}).describe('The NATS servers and the GPU stream.'),
    clickhouse: clickhouseSection.prefault({}).describe('Storage: a ClickHouse server or the embedded engine.'),
    aggregator: aggregatorSection.prefault({}).describe('Consuming the GPU stream: batches, windows, partitions.'),
    detect: detectSection.prefault({}).describe('The detection rules, all on by default (packages/detect/README.md).'),
    alerter: alerterSection.prefault({}).describe('The alerter: API, receivers\' timing, state and high availability.'),
    metrics: metricsSection.prefault({}).describe("Kiln's own metrics and traces."),
    agent: agentSection.prefault({}).describe('`kiln agent` on a GPU host.'),
    simulate: simulateSection.prefault({}).describe('The simulated GB300 fleet.'),
    notify: z
      .array(receiver)
      .default([])
      .describe('The receivers; routes name them by `name`. Without `route`, every alert goes to every receiver.'),
    route: route.optional().describe("Alertmanager's routing tree (its top level matches every alert)."),
    inhibit_rules: z.array(inhibitRule).default([]).describe('Inhibitions added to the built-in ones.'),
  })
  .strict();

export type KilnConfig = z.infer<typeof configSchema>;
export type ReceiverConfig = z.infer<typeof receiver>;
export type InhibitRuleConfig = z.infer<typeof inhibitRule>;
export type ThermalRuleConfig = z.infer<typeof thermalRule>;

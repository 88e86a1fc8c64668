import { z } from 'zod';

/** host:port on which a Kiln HTTP endpoint listens. Loopback by default everywhere. */
const listen = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9093');
const duration = z.number().int().nonnegative();
const token = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a subject token: [A-Za-z0-9_-]{1,64}');

const natsSection = z
  .object({
    /** One server URL or a list. Unset: `kiln up` starts its own nats-server under data_dir. */
    url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
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
  })
  .strict();

const clickhouseSection = z
  .object({
    /** A ClickHouse server. Unset: the embedded engine (chdb) under data_dir. */
    url: z.string().url().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    /** Where `kiln up` / `kiln store` serve the embedded engine over ClickHouse's HTTP interface. */
    listen: listen.default('127.0.0.1:8123'),
    /** Raw samples are kept this long (days); older samples are rejected at ingest. */
    raw_retention_days: z.number().int().min(1).max(3650).default(14),
  })
  .strict();

const aggregatorSection = z
  .object({
    /** Durable consumer name; instances sharing it share the work. */
    consumer: token.default('kiln-aggregator'),
    /** Flush a raw batch when it holds this many GPU-samples … */
    batch_rows: z.number().int().min(8).max(500_000).default(20_000),
    /** … or when its oldest message has waited this long. */
    flush_ms: duration.default(200),
    /** Accepted clock skew for samples from the future. */
    future_skew_ms: duration.default(300_000),
    /** Event-time windows stay open this long after the watermark passes their end. */
    allowed_lateness_ms: duration.default(5_000),
    /** Tumbling window lengths, in ms. */
    windows_ms: z.array(z.number().int().positive()).min(1).default([10_000, 60_000]),
  })
  .strict();

const thermalRule = z
  .object({
    /** Fire at temp_c >= slowdown_temp_c - margin_c. */
    margin_c: z.number().min(0).max(50).default(5),
    /** Used when a GPU reports no slowdown_temp_c. */
    default_slowdown_c: z.number().min(30).max(150).default(87),
    /** Exit threshold sits this far below the entry threshold (hysteresis). */
    hysteresis_c: z.number().min(0).max(20).default(2),
    for_ms: duration.default(10_000),
    keep_firing_for_ms: duration.default(0),
    severity: z.enum(['critical', 'warning', 'info']).default('critical'),
  })
  .strict();

const detectSection = z.object({ thermal: thermalRule.prefault({}) }).strict();

const basicAuth = z.object({ user: z.string().min(1), password: z.string().min(1) }).strict();

const alerterSection = z
  .object({
    listen: listen.default('127.0.0.1:9093'),
    /** Required for creating and expiring silences and posting alerts when set; reads stay open. */
    basic_auth: basicAuth.optional(),
    /** Durable consumer of the alert event stream. */
    consumer: token.default('kiln-alerter'),
    /** How long a failing receiver is retried before the notification is reported failed. */
    retry_for_ms: duration.default(600_000),
    /** Per-request timeout for receivers. */
    timeout_ms: duration.default(10_000),
    /** Link put in notifications (Alertmanager's externalURL). */
    external_url: z.string().optional(),
    /** Prefix of the JetStream KV buckets holding the alerter's state (alerts, notification log, silences). */
    state_bucket: token.default('kiln_alerter'),
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

const metricsSection = z.object({ listen: listen.default('127.0.0.1:9464') }).strict();

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
      routing_key: z.string().min(1),
      url: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
    })
    .strict(),
  z
    .object({
      type: z.literal('slack'),
      ...receiverCommon,
      /** Incoming webhook URL (a secret). */
      url: z.string().url(),
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

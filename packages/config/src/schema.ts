import { z } from 'zod';
import { receiverConfigSchema } from '@kiln/alerts/receivers';
import { basicAuth, durationSchema, milliseconds as duration, SECRET } from '@kiln/config-schema';
import { detectSection } from '@kiln/detect/rules';

/** host:port on which a Kiln HTTP endpoint listens. Loopback by default everywhere. */
const listen = z
  .string()
  .regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9093')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535, 'the port must be 0..65535')
  .meta({ title: 'host:port' });
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
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(1)
      .describe('Stream and KV bucket replicas: 1 on one server, 3 in a production cluster.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(4222)
      .describe('Port of the nats-server `kiln up` starts; 0 = any free port.'),
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
      .describe(
        'Disk budget of the GPU stream in bytes; the oldest messages go first when it is full. Unset: no budget.',
      ),
  })
  .strict();

const clickhouseSection = z
  .object({
    url: z.string().url().optional().describe('A ClickHouse server. Unset: the embedded engine (chdb) under data_dir.'),
    user: z.string().optional().describe("User for the server; for the served embedded engine, the writer's user."),
    password: z.string().meta(SECRET).optional().describe('Password of user.'),
    listen: listen
      .default('127.0.0.1:8123')
      .describe("Where `kiln up` / `kiln store` serve the embedded engine on ClickHouse's HTTP interface."),
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a cluster name from remote_servers')
      .optional()
      .describe(
        'A ClickHouse cluster (remote_servers name) to create the schema on, `ON CLUSTER`: Replicated tables and Distributed ones over the shards. Needs url.',
      ),
    raw_retention_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(14)
      .describe('Raw samples are kept this many days; older samples are rejected at ingest.'),
    read_limits: z
      .object({
        max_execution_time_s: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .optional()
          .describe('Seconds a read may run (default 60); past it the engine stops it with TIMEOUT_EXCEEDED.'),
        max_memory_usage: z
          .number()
          .int()
          .min(2 ** 20)
          .optional()
          .describe('Bytes of memory a read may hold (default 4 GiB).'),
        max_result_rows: z.number().int().min(1).optional().describe('Rows a read may return (default 1,000,000).'),
        max_threads: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .optional()
          .describe('Threads a read may use (default half the cores, so inserts keep the rest).'),
      })
      .strict()
      .prefault({})
      .describe(
        'What an anonymous read of the served embedded engine (Grafana, an operator) may use at most; a request may ask for less, never more.',
      ),
  })
  .strict();

const aggregatorSection = z
  .object({
    consumer: token
      .default('kiln-aggregator')
      .describe(
        'Name of the durable consumers and checkpoints: `<consumer>` with one partition, `<consumer>-p<k>` with more.',
      ),
    instance: token
      .optional()
      .describe('This process among the aggregators sharing the partitions. Unset: `<hostname>-<pid>`.'),
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
        "A GPU silent this long (the partition's event time) has left the fleet: its state is reclaimed and its id reused. Its firing alerts stay firing.",
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
    future_skew_ms: duration
      .default(300_000)
      .describe('Samples further than this in the future are rejected (future_ts).'),
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

const alerterSection = z
  .object({
    listen: listen
      .default('127.0.0.1:9093')
      .describe("The alerter's HTTP API (Alertmanager API v2), web UI, /-/healthy and /-/ready."),
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
      .describe(
        'How long a failing receiver is retried (exponential backoff, Retry-After honoured) before the notification is reported failed.',
      ),
    timeout_ms: duration.default(10_000).describe('Per-request timeout for receivers.'),
    external_url: z.string().optional().describe("Link put in notifications (Alertmanager's externalURL)."),
    default_inhibitions: z
      .boolean()
      .default(true)
      .describe(
        "The built-in topology inhibitions (docs/paging.md): rack cooling mutes its GPUs' thermal alerts, a tray its GPUs, a silent " +
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
      .describe(
        "An alert posted without endsAt resolves this long after its last update (Alertmanager's resolve_timeout).",
      ),
    flap_threshold: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe(
        'An alert that starts this many episodes within flap_window_ms is flapping: one notification, then quiet. 0 disables.',
      ),
    flap_window_ms: duration.default(600_000).describe('The span flap_threshold counts episodes over.'),
    flap_quiet_ms: duration.default(600_000).describe('A flapping alert resolves once it has stayed clear this long.'),
    retention_ms: duration
      .default(120 * 3_600_000)
      .describe(
        "Expired silences, the notification log and resolved alerts are kept this long (Alertmanager's --data.retention).",
      ),
  })
  .strict();

const metricsSection = z
  .object({
    listen: listen
      .default('127.0.0.1:9464')
      .describe(
        "Kiln's own Prometheus endpoint: /metrics, /healthz (process up), /readyz (connected, streams present).",
      ),
    otlp_endpoint: z
      .string()
      .url()
      .optional()
      .describe(
        'An OTLP/HTTP receiver (e.g. http://otel-collector:4318): metrics go to <otlp_endpoint>/v1/metrics every otlp_interval_ms, ' +
          'sampled traces to <otlp_endpoint>/v1/traces. Unset: no push and no traces.',
      ),
    otlp_interval_ms: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(15_000)
      .describe('How often metrics are pushed.'),
    trace_sample_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe(
        'Share of insert batches and notifications traced when otlp_endpoint is set (head sampling by trace id).',
      ),
  })
  .strict();

const agentSection = z
  .object({
    cluster: token
      .optional()
      .describe('Cluster of this host. Unset: discovered from the machine where possible (services/agent/README.md).'),
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
      .describe(
        'GPUs this host should report (4 on a GB300 tray); fewer in a tick are reported missing. Unset: those found at start.',
      ),
    limits_refresh_ms: z
      .number()
      .int()
      .min(10_000)
      .default(600_000)
      .describe(
        'Per-GPU thermal limits (slowdown, HBM max) and the NVLink fabric clique are read at start and again this often.',
      ),
    nvlink_refresh_ms: z
      .number()
      .int()
      .min(1_000)
      .default(30_000)
      .describe(
        'NVLink link states and error counters (`nvidia-smi nvlink -s`, `-e`) are read this often (nvidia-smi source).',
      ),
    jobs_refresh_ms: z
      .number()
      .int()
      .min(1_000)
      .default(30_000)
      .describe(
        "The Slurm job of each GPU's processes (SLURM_JOB_ID in their environment) is read this often (nvidia-smi source).",
      ),
    proc_root: z
      .string()
      .default('/proc')
      .describe("Where the GPU processes' environments are read for their Slurm job."),
    spool_dir: z
      .string()
      .optional()
      .describe(
        'Where samples wait while NATS is away, and the persisted sequence. Unset: <data_dir>/agent; relative: under data_dir.',
      ),
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
    inflight: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(64)
      .describe('Publishes awaiting their PubAck at once (live and replay each).'),
    ack_timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5000)
      .describe('A publish not acknowledged within this is spooled (and re-sent with the same Nats-Msg-Id).'),
    xid_events: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Publish every Xid the driver logs as an event (sources nvidia-smi and dcgm).'),
        kmsg: z
          .string()
          .default('/dev/kmsg')
          .describe('The kernel log device (or a file or FIFO of kmsg records or plain lines).'),
        journal_command: z
          .array(z.string().min(1))
          .default(['journalctl', '-k', '-f', '-o', 'cat', '-n', '0'])
          .describe('Followed instead when kmsg cannot be opened; [] for none.'),
      })
      .strict()
      .prefault({})
      .describe('Xid events from the kernel log (docs/events.md).'),
  })
  .strict();

const simulateSection = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('`kiln up` also runs the simulator (the one-machine demo). `kiln simulate` runs it regardless.'),
    cluster: token.default('sim-ai1').describe('Cluster name of the simulated fleet.'),
    racks: z
      .number()
      .int()
      .min(1)
      .max(2000)
      .default(1)
      .describe('GB300 NVL72 racks simulated (72 GPUs on 18 hosts each).'),
    seed: z.number().int().default(1).describe('Random seed: the same seed gives the same fleet.'),
    interval_ms: z.number().int().min(10).default(1000).describe('Event time between ticks.'),
    mode: z
      .enum(['realtime', 'replay'])
      .default('realtime')
      .describe('realtime: one tick per interval of wall time; replay: as fast as possible in event time.'),
    faults: z
      .array(z.string())
      .default([])
      .describe(
        'Fault specs `<kind>[=<value>]:<host>[/<gpu>]@<start>[+<duration>]`, e.g. "overheat:r0001-t03/2@60s+180s".',
      ),
  })
  .strict();

/** Alertmanager matchers: 'name="value"', 'name!="value"', 'name=~"regex"', 'name!~"regex"' (checked by the alerter). */
const matchers = z.array(z.string().min(1));
const inheritedTimer = (what: string) => durationSchema.optional().describe(`${what} Unset: the parent's.`);

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

const route: z.ZodType<RouteConfig, unknown> = z
  .lazy(() =>
    z
      .object({
        receiver: z.string().min(1).optional().describe("The notify entry's name that alerts of this route go to."),
        group_by: z
          .array(z.string().min(1))
          .optional()
          .describe("Labels that split alerts into groups; ['...'] groups by all labels (one alert per group)."),
        matchers: matchers.optional().describe('Alerts this route takes: every matcher must hold.'),
        continue: z.boolean().optional().describe('Go on to the next sibling route after this one matched.'),
        group_wait: inheritedTimer(
          "How long a new group waits for more alerts before its first notification (Kiln's top level: 500 ms).",
        ),
        group_interval: inheritedTimer("Least spacing of a group's notifications about changes (top level: 30 s)."),
        repeat_interval: inheritedTimer(
          'An unchanged group still firing is notified again after this (top level: 4 h).',
        ),
        routes: z.array(route).optional().describe('Child routes, tried in order.'),
      })
      .strict(),
  )
  .meta({ id: 'route' });

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
      .describe(
        "State: the nats-server store of `kiln up`, the embedded ClickHouse, the agent's spool. Relative: to the working directory.",
      ),
    nats: natsSection.prefault({}).describe('The NATS servers and the GPU stream.'),
    clickhouse: clickhouseSection.prefault({}).describe('Storage: a ClickHouse server or the embedded engine.'),
    aggregator: aggregatorSection.prefault({}).describe('Consuming the GPU stream: batches, windows, partitions.'),
    // Each rule's schema is its detector's (packages/detect/src/rules).
    detect: detectSection.prefault({}).describe('The detection rules, all on by default (packages/detect/README.md).'),
    alerter: alerterSection.prefault({}).describe("The alerter: API, receivers' timing, state and high availability."),
    metrics: metricsSection.prefault({}).describe("Kiln's own metrics and traces."),
    agent: agentSection.prefault({}).describe('`kiln agent` on a GPU host.'),
    simulate: simulateSection.prefault({}).describe('The simulated GB300 fleet.'),
    // Each receiver's schema is its integration's (packages/alerts/src/receivers).
    notify: z
      .array(receiverConfigSchema)
      .default([])
      .describe('The receivers; routes name them by `name`. Without `route`, every alert goes to every receiver.'),
    route: route.optional().describe("Alertmanager's routing tree (its top level matches every alert)."),
    inhibit_rules: z.array(inhibitRule).default([]).describe('Inhibitions added to the built-in ones.'),
  })
  .strict();

export type KilnConfig = z.infer<typeof configSchema>;
export type InhibitRuleConfig = z.infer<typeof inhibitRule>;

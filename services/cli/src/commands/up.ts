import { jetstreamManager } from '@nats-io/jetstream';
import { startAggregator } from '@kiln/aggregator';
import { buildAlerting, startAlerter } from '@kiln/alerter';
import { createLogger } from '@kiln/log';
import { ALERT_STREAM, DLQ_STREAM, GPU_STREAM } from '@kiln/nats';
import {
  clickhouseReadiness,
  instrumentInserts,
  natsReadiness,
  observeAggregatorService,
  observeAlerterService,
  recordNotifications,
  startTelemetry,
  streamsReadiness,
} from '@kiln/telemetry';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openNats, openStore, serveStore } from '../components.js';
import { ConsoleReport } from '../progress.js';
import { onHangup, untilSignal } from '../signals.js';
import { startSimulation } from '../simulation.js';
import { aggregatorStore, alertHistory } from '../store-adapters.js';
import type { Command } from './command.js';

const options = {
  simulate: {
    type: 'boolean',
    description: 'also run the simulated GB300 fleet (the simulate section), as simulate.enabled does',
  },
} as const;

export const up: Command = {
  name: 'up',
  options,
  summary: 'run the whole pipeline on this machine (nats-server, embedded ClickHouse, aggregator, alerter)',
  async run(argv) {
    const { values } = parseCommandLine(argv, options);
    if (values.help) return printHelp(up);
    const config = await configFrom(values);
    // Listen from the start: a Ctrl-C during start-up lets start-up finish, then stops everything cleanly.
    const stopRequested = untilSignal();
    // A person is watching: JSON logs only for warnings and errors unless KILN_LOG_LEVEL says otherwise.
    const log = createLogger('kiln-up', (process.env.KILN_LOG_LEVEL as 'info' | undefined) ?? 'warn');
    const telemetry = await startTelemetry({ service: 'kiln-up', metrics: config.metrics, log });
    const report = new ConsoleReport();
    report.line(`kiln up: state in ${config.data_dir}`);

    const nats = await openNats(config, 'kiln-up', {
      startServer: true,
      first: { onWaiting: (servers, err) => report.line(`waiting for NATS at ${servers} (${err.message})`) },
    });
    report.line(
      nats.server ? `nats-server started at ${nats.url} (JetStream in ${config.data_dir}/nats)` : `NATS at ${nats.url}`,
    );
    const store = await openStore(config);
    const http = store.embedded ? await serveStore(store, config, log) : undefined;
    report.line(
      http
        ? `embedded ClickHouse in ${config.data_dir}/clickhouse, HTTP interface at ${http.url} (read-only without the writer's credentials)`
        : `ClickHouse at ${config.clickhouse.url}`,
    );
    const aggregator = await startAggregator(config, {
      nc: nats.nc,
      store: instrumentInserts(aggregatorStore(store), telemetry, log),
      log,
    });
    const notified = recordNotifications(telemetry, buildAlerting(config).receivers);
    const alerter = await startAlerter(config, {
      nc: nats.nc,
      readConfig: () => configFrom(values),
      history: alertHistory(store),
      log,
      hooks: {
        onEvent: (a) => report.alert(a),
        onOutcome: (o) => {
          notified(o);
          report.outcome(o);
        },
      },
    });
    const jsm = await jetstreamManager(nats.nc);
    observeAggregatorService(telemetry, aggregator, jsm);
    observeAlerterService(telemetry, alerter, jsm, config.alerter.consumer);
    telemetry.readiness.use([
      natsReadiness(nats.nc),
      streamsReadiness(jsm, [GPU_STREAM, DLQ_STREAM, ALERT_STREAM]),
      clickhouseReadiness(store),
    ]);
    if (telemetry.url) report.line(`Kiln's own metrics at ${telemetry.url}/metrics (health: /healthz, /readyz)`);
    report.line(`aggregator consuming; alerter API at ${alerter.api.url}; ${config.notify.length} receiver(s)`);
    const simulation =
      values.simulate || config.simulate.enabled ? await startSimulation(config, nats.nc, report) : undefined;
    // SIGHUP re-reads the file and applies the alerter's receivers, routes and inhibitions.
    const stopHangups = onHangup(() =>
      alerter.reload().then(
        () => report.line('SIGHUP: alerting configuration reloaded'),
        (err: unknown) => report.line(`SIGHUP: ${err instanceof Error ? err.message : String(err)}`),
      ),
    );
    report.line('Ctrl-C stops everything; SIGHUP reloads the alerting configuration');

    const timer = setInterval(() => {
      report.progress({
        samplesStored: aggregator.stats.samplesStored,
        rejected: aggregator.stats.rejected,
        windowsClosed: aggregator.windows.windowsClosed,
        lateSamples: aggregator.windows.late,
        alertsFiring: alerter.leading ? alerter.active.size : 0,
        delivered: alerter.stats.delivered,
        failed: alerter.stats.failed,
        ...(simulation ? { published: simulation.published() } : {}),
      });
    }, 5_000);

    const signal = await stopRequested;
    stopHangups();
    clearInterval(timer);
    report.line(`${signal}: stopping`);
    await simulation?.stop();
    await aggregator.stop();
    await alerter.stop();
    await telemetry.shutdown();
    await http?.close();
    await nats.close();
    await store.close();
    report.line(`stopped cleanly; ${aggregator.stats.samplesStored.toLocaleString('en-US')} samples stored this run`);
    return 0;
  },
};

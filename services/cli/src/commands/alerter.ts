import { jetstreamManager } from '@nats-io/jetstream';
import { buildAlerting, startAlerter } from '@kiln/alerter';
import { createLogger } from '@kiln/log';
import { ALERT_STREAM } from '@kiln/nats';
import {
  clickhouseReadiness,
  natsReadiness,
  observeAlerterService,
  recordNotifications,
  startTelemetry,
  streamsReadiness,
} from '@kiln/telemetry';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openNats, openStore, waitForNats } from '../components.js';
import { onHangup, untilSignal } from '../signals.js';
import { alertHistory } from '../store-adapters.js';
import type { Command } from './command.js';

export const alerter: Command = {
  name: 'alerter',
  options: {},
  summary:
    'consume alert events: route, group, inhibit, silence, and page on-call (PagerDuty, Slack, webhooks, Alertmanager)',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return printHelp(alerter);
    const config = await configFrom(values);
    // Listen from the start: a Ctrl-C during start-up lets start-up finish, then stops everything cleanly.
    const stopRequested = untilSignal();
    const log = createLogger('kiln-alerter');
    const telemetry = await startTelemetry({ service: 'kiln-alerter', metrics: config.metrics, log });
    const store = await openStore(config);
    const nats = await openNats(config, `kiln-alerter@${process.pid}`, { startServer: false, first: waitForNats(log) });
    const onOutcome = recordNotifications(telemetry, buildAlerting(config).receivers);
    const service = await startAlerter(config, {
      nc: nats.nc,
      history: alertHistory(store),
      log,
      hooks: { onOutcome },
      readConfig: () => configFrom(values),
    });
    // SIGHUP re-reads the file and applies receivers, routes and inhibitions; a bad file is logged and refused.
    const stopHangups = onHangup(() => service.reload());
    const jsm = await jetstreamManager(nats.nc);
    observeAlerterService(telemetry, service, jsm, config.alerter.consumer);
    telemetry.readiness.use([
      natsReadiness(nats.nc),
      streamsReadiness(jsm, [ALERT_STREAM]),
      clickhouseReadiness(store),
    ]);
    log.info(
      { api: service.api.url, leading: service.leading, receivers: config.notify.length, metrics: telemetry.url },
      'alerter started',
    );
    await stopRequested;
    stopHangups();
    await service.stop();
    await telemetry.shutdown();
    await nats.close();
    await store.close();
    return 0;
  },
};

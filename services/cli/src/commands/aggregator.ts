import { jetstreamManager } from '@nats-io/jetstream';
import { startAggregator } from '@kiln/aggregator';
import { createLogger } from '@kiln/log';
import { ALERT_STREAM, DLQ_STREAM, GPU_STREAM } from '@kiln/nats';
import {
  clickhouseReadiness,
  instrumentInserts,
  natsReadiness,
  observeAggregatorService,
  startTelemetry,
  streamsReadiness,
} from '@kiln/telemetry';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openNats, openStore, waitForNats } from '../components.js';
import { untilSignal } from '../signals.js';
import { aggregatorStore } from '../store-adapters.js';
import type { Command } from './command.js';

export const aggregator: Command = {
  name: 'aggregator',
  options: {},
  summary: 'consume the GPU stream: store raw samples, window them, detect',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return printHelp(aggregator);
    const config = await configFrom(values);
    // Listen from the start: a Ctrl-C during start-up lets start-up finish, then stops everything cleanly.
    const stopRequested = untilSignal({ stopOnHangup: true });
    const log = createLogger('kiln-aggregator');
    const telemetry = await startTelemetry({ service: 'kiln-aggregator', metrics: config.metrics, log });
    const store = await openStore(config);
    const nats = await openNats(config, `kiln-aggregator@${process.pid}`, {
      startServer: false,
      first: waitForNats(log),
    });
    const service = await startAggregator(config, {
      nc: nats.nc,
      store: instrumentInserts(aggregatorStore(store), telemetry, log),
      log,
    });
    const jsm = await jetstreamManager(nats.nc);
    observeAggregatorService(telemetry, service, jsm);
    telemetry.readiness.use([
      natsReadiness(nats.nc),
      streamsReadiness(jsm, [GPU_STREAM, DLQ_STREAM, ALERT_STREAM]),
      clickhouseReadiness(store),
    ]);
    log.info(
      {
        nats: nats.url,
        clickhouse: config.clickhouse.url ?? 'embedded',
        metrics: telemetry.url,
        instance: service.instance,
        partitions: service.partitions(),
      },
      'aggregator started',
    );
    const stats = setInterval(
      () => log.info({ ...service.stats, decode: undefined, partitions: service.partitions() }, 'progress'),
      10_000,
    );
    await stopRequested;
    clearInterval(stats);
    await service.stop();
    await telemetry.shutdown();
    await nats.close();
    await store.close();
    return 0;
  },
};

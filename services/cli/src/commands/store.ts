import { createLogger } from '@kiln/log';
import { clickhouseReadiness, startTelemetry } from '@kiln/telemetry';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openStore, serveStore } from '../components.js';
import { ConsoleReport } from '../progress.js';
import { untilSignal } from '../signals.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

export const store: Command = {
  name: 'store',
  options: {},
  summary: 'serve the embedded ClickHouse engine on its HTTP interface, for other kiln processes and Grafana',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return printHelp(store);
    const config = await configFrom(values);
    // Listen from the start: a Ctrl-C during start-up lets start-up finish, then stops everything cleanly.
    const stopRequested = untilSignal({ stopOnHangup: true });
    if (config.clickhouse.url)
      throw new UsageError(
        'clickhouse.url is set: kiln store serves the embedded engine; unset it or use that server directly',
      );
    const log = createLogger('kiln-store');
    const telemetry = await startTelemetry({ service: 'kiln-store', metrics: config.metrics, log });
    const report = new ConsoleReport();
    const s = await openStore(config);
    const http = await serveStore(s, config, log);
    telemetry.readiness.use([clickhouseReadiness(s)]);
    report.line(`embedded ClickHouse in ${config.data_dir}/clickhouse serving ${http.url}`);
    await stopRequested;
    await telemetry.shutdown();
    await http.close();
    await s.close();
    return 0;
  },
};

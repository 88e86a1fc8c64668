import { startAggregator } from '@kiln/aggregator';
import { createLogger } from '@kiln/log';
import { configFrom, parseCommandLine } from '../args.js';
import { openNats, openStore } from '../components.js';
import { untilSignal } from '../signals.js';
import { aggregatorStore } from '../store-adapters.js';
import type { Command } from './command.js';

export const aggregator: Command = {
  name: 'aggregator',
  summary: 'consume the GPU stream: store raw samples, window them, detect',
  usage: 'kiln aggregator --config FILE',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return (process.stdout.write(`usage: ${aggregator.usage}\n`), 0);
    const config = await configFrom(values);
    const log = createLogger('kiln-aggregator');
    const store = await openStore(config);
    const nats = await openNats(config, `kiln-aggregator@${process.pid}`, { startServer: false });
    const service = await startAggregator(config, { nc: nats.nc, store: aggregatorStore(store), log });
    log.info({ nats: nats.url, clickhouse: config.clickhouse.url ?? 'embedded' }, 'aggregator started');
    const stats = setInterval(() => log.info({ ...service.aggregator.stats, decode: undefined }, 'progress'), 10_000);
    await untilSignal();
    clearInterval(stats);
    await service.stop();
    await nats.close();
    await store.close();
    return 0;
  },
};

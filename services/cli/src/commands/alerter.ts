import { startAlerter } from '@kiln/alerter';
import { createLogger } from '@kiln/log';
import { configFrom, parseCommandLine } from '../args.js';
import { openNats, openStore } from '../components.js';
import { untilSignal } from '../signals.js';
import { alertHistory } from '../store-adapters.js';
import type { Command } from './command.js';

export const alerter: Command = {
  name: 'alerter',
  summary: 'consume alert events: route, group, inhibit, silence, and page on-call (PagerDuty, Slack, webhooks, Alertmanager)',
  usage: 'kiln alerter --config FILE',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return (process.stdout.write(`usage: ${alerter.usage}\n`), 0);
    const config = await configFrom(values);
    const log = createLogger('kiln-alerter');
    const store = await openStore(config);
    const nats = await openNats(config, `kiln-alerter@${process.pid}`, { startServer: false });
    const service = await startAlerter(config, { nc: nats.nc, history: alertHistory(store), log });
    log.info({ api: service.api.url, receivers: config.notify.length }, 'alerter started');
    await untilSignal();
    await service.stop();
    await nats.close();
    await store.close();
    return 0;
  },
};

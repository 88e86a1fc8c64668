import { buildAlerting } from '@kiln/alerter';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import type { Command } from './command.js';

/** Validates a configuration as every long-running command does at start-up, and starts nothing. */
export const check: Command = {
  name: 'check',
  options: {},
  summary:
    'validate a configuration (schema, receivers, routes, inhibit rules, fault specs, listen addresses); start nothing',
  async run(argv) {
    const { values } = parseCommandLine(argv, {});
    if (values.help) return printHelp(check);
    const config = await configFrom(values);
    const alerting = buildAlerting(config);
    let routes = 0;
    alerting.route.walk(() => routes++);
    const parts = [
      `nats ${config.nats.url ? [config.nats.url].flat().join(',') : 'started by kiln up'}`,
      `clickhouse ${config.clickhouse.url ?? `embedded in ${config.data_dir}`}`,
      `${alerting.receivers.length} receiver(s)`,
      `${routes} route(s)`,
      `${config.inhibit_rules.length} inhibit rule(s)`,
      `${config.simulate.faults.length} fault(s)`,
    ];
    process.stdout.write(
      `ok\n${typeof values.config === 'string' ? values.config : 'defaults'}: ${parts.join(', ')}\n`,
    );
    return 0;
  },
};

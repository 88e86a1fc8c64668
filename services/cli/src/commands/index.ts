import { agent } from './agent.js';
import { aggregator } from './aggregator.js';
import { alerter } from './alerter.js';
import { check } from './check.js';
import type { Command } from './command.js';
import { partitions } from './partitions.js';
import { query } from './query.js';
import { simulate } from './simulate.js';
import { store } from './store.js';
import { up } from './up.js';
import { version } from './version.js';

export const COMMANDS: readonly Command[] = [
  up,
  simulate,
  store,
  aggregator,
  alerter,
  agent,
  partitions,
  query,
  check,
  version,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'kiln: telemetry and alerting for GPU fleets',
    '',
    'usage: kiln <command> [options]   (every command takes --config FILE; KILN_<SECTION>_<KEY> overrides it)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'kiln help <command>' (or 'kiln <command> --help') for a command's options; 'kiln --version' for the version.",
    '',
  ].join('\n');
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type KilnConfig } from '@kiln/config';
import { configProblems } from './config-checks.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with --config/-c and --help always understood, and errors as UsageError. */
export function parseCommandLine<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The configuration of --config (or defaults), with every check Kiln makes at start-up passed: nothing has started yet. */
export async function configFrom(values: { config?: string | boolean | undefined }): Promise<KilnConfig> {
  return loadConfig(typeof values.config === 'string' ? values.config : undefined, process.env, configProblems);
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type KilnConfig } from '@kiln/config';
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

export async function configFrom(values: { config?: string | boolean | undefined }): Promise<KilnConfig> {
  return loadConfig(typeof values.config === 'string' ? values.config : undefined);
}

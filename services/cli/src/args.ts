import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type KilnConfig } from '@kiln/config';
import type { Command } from './commands/command.js';
import { configProblems } from './config-checks.js';
import { COMMON_OPTIONS, commandHelp } from './options.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type CommandLine<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: boolean; strict: true }>
>;

/** parseArgs with --config/-c and --help always understood, and errors as UsageError. */
export function parseCommandLine<O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = false,
): CommandLine<O> {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Answers --help: the command's usage and options on stdout, exit 0. */
export function printHelp(command: Command): number {
  process.stdout.write(commandHelp(command));
  return 0;
}

/** The configuration of --config (or defaults), with every check Kiln makes at start-up passed: nothing has started yet. */
export async function configFrom(values: { config?: string | boolean | undefined }): Promise<KilnConfig> {
  return loadConfig(typeof values.config === 'string' ? values.config : undefined, process.env, configProblems);
}

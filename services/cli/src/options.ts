import type { Command } from './commands/command.js';

/** A command-line option: what node:util parseArgs takes, and the words `kiln <command> --help` shows for it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in the help (FILE, N); string options only. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    value: 'FILE',
    description: 'the configuration file (YAML); KILN_<SECTION>_<KEY> variables override it',
  },
  help: { type: 'boolean', short: 'h', description: "print this command's usage and options" },
} as const satisfies OptionSpecs;

/** `kiln <command> --help`: its usage, what it does, and each option with its description. */
export function commandHelp(command: Command): string {
  const options: OptionSpecs = { ...COMMON_OPTIONS, ...command.options };
  const names = Object.entries(options).map(([name, o]) => {
    const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return `${o.short ? `-${o.short}, ` : '    '}${long}`;
  });
  const width = Math.max(...names.map((n) => n.length));
  const lines = Object.values(options).map(
    (o, i) => `  ${names[i]!.padEnd(width)}  ${o.description}${o.multiple ? ' (repeatable)' : ''}`,
  );
  return [
    `usage: kiln ${command.name} [options]${command.operands ? ` ${command.operands}` : ''}`,
    '',
    `${command.summary}.`,
    '',
    'options:',
    ...lines,
    ...(command.notes ? ['', command.notes] : []),
    '',
  ].join('\n');
}

import type { OptionSpecs } from '../options.js';

export interface Command {
  readonly name: string;
  /** One line for `kiln --help`, and the head of `kiln <name> --help`. */
  readonly summary: string;
  /** The command's own options (--config and --help are every command's), with their descriptions. */
  readonly options: OptionSpecs;
  /** What follows the options, e.g. "SQL". */
  readonly operands?: string;
  /** More for `kiln <name> --help`, after the options. */
  readonly notes?: string;
  run(argv: string[]): Promise<number>;
}

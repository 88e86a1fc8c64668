import { ConfigError } from '@kiln/config';
import { NatsServerMissingError, NatsUnreachableError } from '@kiln/nats';
import { CommandError } from './command-error.js';
import { COMMANDS, usage } from './commands/index.js';
import { commandHelp } from './options.js';
import { UsageError } from './usage-error.js';

/** Runs one kiln command; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [given, ...rest] = argv;
  const name = given === '--version' || given === '-V' ? 'version' : given;
  if (name === 'help' && rest[0] !== undefined) {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    if (!topic) {
      process.stderr.write(`kiln: unknown command '${rest[0]}'\n\n${usage()}`);
      return 2;
    }
    process.stdout.write(commandHelp(topic));
    return 0;
  }
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`kiln: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof CommandError ||
      err instanceof NatsServerMissingError ||
      err instanceof NatsUnreachableError ||
      err instanceof UsageError
    ) {
      process.stderr.write(`kiln ${name}: ${err.message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
    throw err;
  }
}

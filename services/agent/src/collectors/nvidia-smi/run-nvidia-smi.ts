import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One nvidia-smi invocation that ends (a `-q` report, a one-shot `--query-gpu`): its standard output. */
export async function runNvidiaSmi(command: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(command, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

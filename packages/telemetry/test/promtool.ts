import { execFile } from 'node:child_process';

export interface PromtoolResult {
  code: number;
  output: string;
}

/**
 * Runs the real `promtool` (Debian package `prometheus`) with `input` on stdin. A missing promtool fails the test
 * that asked for it, naming the package: these checks are the point of the tests, never skipped.
 */
export function promtool(args: readonly string[], input = '', cwd?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', [...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error('promtool not found on PATH: install the Debian package `prometheus` (apt-get install prometheus)'),
        );
        return;
      }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output });
    });
    child.stdin?.end(input);
  });
}

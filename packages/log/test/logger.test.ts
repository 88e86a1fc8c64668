import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs a script in a child process and returns what it wrote to stderr (where Kiln's logs go). */
function stderrOf(script: string, env: Record<string, string> = {}): string {
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return '';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? '');
  }
}

describe('createLogger', () => {
  it('writes JSON lines to stderr with the component, at the level KILN_LOG_LEVEL sets', () => {
    const script = `import { createLogger } from ${JSON.stringify(dist)};
      const log = createLogger('kiln-test');
      log.debug('hidden'); log.info({ batch: 7 }, 'stored'); log.flush?.(); process.exitCode = 3;`;
    const lines = stderrOf(script)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, component: 'kiln-test', batch: 7, msg: 'stored' });
    expect(stderrOf(script, { KILN_LOG_LEVEL: 'debug' }).trim().split('\n')).toHaveLength(2);
  });
});

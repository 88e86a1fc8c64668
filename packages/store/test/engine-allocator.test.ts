import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Store } from '../src/index.js';
import { tempDir } from '@kiln/testkit';
import { embeddedStoreForFile } from './helpers.js';

/** The options the engine's jemalloc runs with, as its own statistics report them (`opt.<name>: <value>` lines). */
async function allocatorOptions(store: Store): Promise<Map<string, string>> {
  const [{ stats }] = (await store.query('SELECT stats FROM system.jemalloc_stats')) as [{ stats: string }];
  const options = new Map<string, string>();
  for (const match of stats.matchAll(/^\s*opt\.(\w+): (\S+)/gm)) options.set(match[1]!, match[2]!.replace(/"/g, ''));
  return options;
}

describe("the embedded engine's allocator", () => {
  let store: Store;
  embeddedStoreForFile((s) => (store = s));

  it('keeps freed pages for 30 s, in one arena', async () => {
    const options = await allocatorOptions(store);
    // The engine's built-in configuration says 5000 and an arena per CPU: these mean the store's took effect.
    expect(options.get('dirty_decay_ms')).toBe('30000');
    expect(options.get('narenas')).toBe('1');
    expect(options.get('percpu_arena')).toBe('disabled');
  });

  it("leaves an operator's JE_MALLOC_CONF as it is", async () => {
    const dir = await tempDir();
    try {
      // A process of its own (on the built package): libchdb reads the configuration once, when it loads.
      const script = `
        import { createStore } from ${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))};
        const store = await createStore({ dataDir: process.argv[1] });
        const [{ stats }] = await store.query('SELECT stats FROM system.jemalloc_stats');
        console.log(stats.match(/opt\\.dirty_decay_ms: (\\d+)/)[1]);
        await store.close();`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir.path], {
        env: { ...process.env, JE_MALLOC_CONF: 'dirty_decay_ms:7000' },
      });
      expect(stdout.trim()).toBe('7000');
    } finally {
      await dir.remove();
    }
  });
});

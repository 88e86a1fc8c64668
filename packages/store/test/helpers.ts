import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '@kiln/testkit';
import { createStore, type Store } from '../src/index.js';

/**
 * An embedded store in a fresh directory for the whole test file (vitest runs each file in its own process, and chdb
 * takes one data directory per process); `use` receives it and its directory before the tests run.
 */
export function embeddedStoreForFile(use: (store: Store, dataDir: string) => void): void {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    dir = await tempDir();
    store = await createStore({ dataDir: dir.path });
    use(store, dir.path);
  });
  afterAll(async () => {
    await store?.close();
    await dir?.remove();
  });
}

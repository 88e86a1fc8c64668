/**
 * How the embedded engine's allocator keeps the memory it frees. libchdb links its own jemalloc, which reads
 * JE_MALLOC_CONF once, when libchdb loads: this module sets it before anything imports chdb (embedded-engine.ts
 * imports it first), and leaves a value the operator set alone.
 *
 * An insert of a drain's batch (180,000 rows) allocates a compression buffer per column file of each part it writes
 * (raw and three rollups) and frees them when it ends; merges do the same. With the engine's built-in configuration
 * (an arena per CPU, freed pages returned to the OS within 5 s) most of those pages went back and were faulted in
 * again by the next insert or merge, on another CPU's arena:
 * - `narenas:1`, `percpu_arena:disabled`: one arena, so pages an insert frees serve the merge after it and the next
 *   insert, whichever thread and core runs them. The engine runs one write at a time (EmbeddedEngine.writes),
 *   at most one read and a few merges beside it, so one arena's lock is not contended.
 * - `dirty_decay_ms:30000` (built in: 5000): freed pages stay with the allocator for about 30 s, longer than the
 *   5 s between a live partition's inserts.
 *
 * Measured in kiln up's drain of a 20,000-GPU backlog (`node test/bench/run.js pipeline`, 2 cores): 28-49 page faults
 * per 1,000 samples against 222-229, and the engine's CPU per GPU-sample 4.7-6.1 µs for inserts and 1.6-2.3 for
 * merges against 7.9-8.5 and 2.8-4.2; peak RSS no higher (920-955 MiB against 952-1,016).
 */
const ENGINE_ALLOCATOR_CONF = 'percpu_arena:disabled,narenas:1,dirty_decay_ms:30000';

process.env.JE_MALLOC_CONF ??= ENGINE_ALLOCATOR_CONF;

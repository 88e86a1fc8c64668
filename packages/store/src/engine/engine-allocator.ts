/**
 * How the embedded engine's allocator keeps the memory it frees. libchdb links its own jemalloc, which reads
 * JE_MALLOC_CONF once, when libchdb loads: this module sets it before anything imports chdb (embedded-engine.ts
 * imports it first), and leaves a value the operator set alone.
 *
 * An insert of a drain's batch (180,000 rows) allocates about 400 MB of column buffers, a compression buffer per
 * column file of each part it writes (raw and three rollups), and frees them when it ends; merges do the same. With
 * the engine's built-in configuration (an arena per CPU, freed pages returned to the OS within 5 s) most of those
 * pages went back and were faulted in again by the next insert or merge, on another CPU's arena:
 * - `narenas:1`, `percpu_arena:disabled`: one arena, so pages an insert frees serve the merge after it and the next
 *   insert, whichever thread and core runs them. The engine runs one statement at a time (EmbeddedEngine.queue)
 *   beside a few merges, so one arena's lock is not contended.
 * - `dirty_decay_ms:30000` (built in: 5000): freed pages stay with the allocator for about 30 s, longer than the
 *   5 s between a live partition's inserts.
 *
 * Measured on this 2-core machine: page faults per 180,000-row insert 1,400-2,900 against 6,500-18,800; in kiln up's
 * drain of a 20,000-GPU backlog (`node test/bench/run.js pipeline`, runs alternating) the engine's CPU per GPU-sample
 * 4.9-5.0 µs for inserts and 1.9-2.1 for merges against 7.8-10.0 and 4.2-5.6, and kiln up's peak RSS 937-957 MB
 * against 995-1,034.
 */
const ENGINE_ALLOCATOR_CONF = 'percpu_arena:disabled,narenas:1,dirty_decay_ms:30000';

process.env.JE_MALLOC_CONF ??= ENGINE_ALLOCATOR_CONF;

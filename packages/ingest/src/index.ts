export * from './ingest.js';
export * from './ingest-stats.js';
export * from './ingest-store.js';
export * from './checkpoint.js';
export * from './episode-journal.js';
export * from './latest-sample.js';
export {
  partitionConsumer,
  resetPartitionConsumer,
  startPartition,
  type PartitionDeps,
  type RunningPartition,
} from './partition.js';

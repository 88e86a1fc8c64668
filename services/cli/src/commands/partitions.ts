import { jetstreamManager } from '@nats-io/jetstream';
import { partitionConsumer } from '@kiln/ingest';
import { GPU_STREAM, ONE_SHOT_CONNECT_MS, partitionMapping, readLeaseOwners } from '@kiln/nats';
import { isSubjectToken, partitionOf } from '@kiln/wire';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openNats } from '../components.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

const options = {
  rack: { type: 'string', value: 'RACK', description: 'show only the partition this rack goes to' },
  mapping: {
    type: 'boolean',
    description: "print the subject mapping every NATS server's configuration needs for nats.partitions",
  },
} as const;
import { formatTable } from './query.js';

export const partitions: Command = {
  name: 'partitions',
  options,
  summary:
    'show who serves each partition and its lag; --rack R: where a rack goes; --mapping: the NATS servers’ mapping',
  async run(argv) {
    const { values } = parseCommandLine(argv, options);
    if (values.help) return printHelp(partitions);
    const config = await configFrom(values);
    const count = config.nats.partitions;
    if (values.mapping) {
      if (count === 1) throw new UsageError('nats.partitions is 1: the servers need no mapping');
      process.stdout.write(
        `# nats.partitions = ${count}: put this in every NATS server's config (the account's mappings)\n${partitionMapping(count)}\n`,
      );
      return 0;
    }
    const rack = values.rack;
    if (rack !== undefined && !isSubjectToken(rack))
      throw new UsageError(`--rack ${JSON.stringify(rack)} is not a rack name ([A-Za-z0-9_-]{1,64})`);
    const nats = await openNats(config, 'kiln-partitions', {
      startServer: false,
      first: { giveUpAfterMs: ONE_SHOT_CONNECT_MS },
    });
    try {
      const owners = await readLeaseOwners(nats.nc, config.aggregator.consumer, count);
      const jsm = await jetstreamManager(nats.nc);
      const shown = rack === undefined ? Array.from({ length: count }, (_, k) => k) : [partitionOf(rack, count)];
      const rows = await Promise.all(
        shown.map(async (k) => {
          const consumer = partitionConsumer(config, k);
          const info = await jsm.consumers.info(GPU_STREAM, consumer).catch(() => undefined);
          return {
            ...(rack !== undefined ? { rack } : {}),
            partition: k,
            served_by: owners.get(k) ?? '(nobody)',
            consumer,
            pending: info?.num_pending ?? '-',
            unacked: info?.num_ack_pending ?? '-',
          };
        }),
      );
      process.stdout.write(formatTable(rows));
    } finally {
      await nats.close();
    }
    return 0;
  },
};

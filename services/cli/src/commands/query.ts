import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openQueryStore } from '../components.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

const options = {
  json: { type: 'boolean', description: 'print one JSON object per row instead of a table' },
} as const;

export const query: Command = {
  name: 'query',
  options,
  operands: '"SQL"',
  summary: 'run SQL against the configured store and print the result (a table, or JSON with --json)',
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, options, true);
    if (values.help) return printHelp(query);
    const sql = positionals.join(' ').trim();
    if (!sql) throw new UsageError('no SQL given; usage: kiln query [--config FILE] [--json] "SQL"');
    const config = await configFrom(values);
    const store = await openQueryStore(
      config,
      typeof values.config === 'string' ? values.config : 'the defaults and KILN_* variables',
    );
    try {
      const rows = await store.query<Record<string, unknown>>(sql);
      process.stdout.write(
        values.json ? rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '') : formatTable(rows),
      );
    } finally {
      await store.close();
    }
    return 0;
  },
};

/** Rows as an aligned text table, numbers right-aligned. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((c) =>
    rows.every((r) => typeof r[c] === 'number' || (typeof r[c] === 'string' && /^-?\d+(\.\d+)?$/.test(r[c]))),
  );
  const pad = (text: string, i: number): string => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [
    columns.map(pad).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) => row.map(pad).join('  ')),
  ];
  return lines.map((l) => l.trimEnd()).join('\n') + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

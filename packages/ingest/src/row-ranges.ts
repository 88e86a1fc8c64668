/** Ascending row numbers as [from, to) ranges: repeats come in runs (an agent replaying a stretch of its spool). */
export function toRanges(rows: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const row of rows) {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] === row) last[1] = row + 1;
    else ranges.push([row, row + 1]);
  }
  return ranges;
}

export function fromRanges(ranges: readonly [number, number][]): number[] {
  const rows: number[] = [];
  for (const [from, to] of ranges) for (let row = from; row < to; row++) rows.push(row);
  return rows;
}

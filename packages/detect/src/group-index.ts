/**
 * GPUs bucketed by a dense group id (peer group, rack) in compressed rows: the members of group g are
 * members[start[g] .. start[g + 1]). Rebuilt on every window-closing pass into arrays it keeps, by counting sort.
 */
export class GroupIndex {
  start = new Int32Array(17);
  members = new Int32Array(64);
  groups = 0;

  /** Buckets gpus[0..n) by groupOf[gpu], for groups 0..groupCount-1. */
  build(gpus: Int32Array, n: number, groupOf: Int32Array, groupCount: number): void {
    if (this.start.length < groupCount + 1) this.start = new Int32Array(2 * groupCount + 1);
    if (this.members.length < n) this.members = new Int32Array(2 * n);
    const start = this.start;
    start.fill(0, 0, groupCount + 1);
    for (let i = 0; i < n; i++) start[groupOf[gpus[i]!]! + 1]!++;
    for (let g = 0; g < groupCount; g++) start[g + 1]! += start[g]!;
    // Shift by one: start[g + 1] becomes group g's fill cursor, and ends up as its end (group g + 1's start).
    for (let g = groupCount; g > 0; g--) start[g] = start[g - 1]!;
    start[0] = 0;
    for (let i = 0; i < n; i++) {
      const gpu = gpus[i]!;
      const g = groupOf[gpu]!;
      this.members[start[g + 1]!++] = gpu;
    }
    this.groups = groupCount;
  }
}

/**
 * A partition's event-time clock: how far its samples have carried event time, which drives its windows' watermark.
 *
 * Event time is the samples' own `ts`, so that replaying history judges exactly what living through it did. Three
 * things a real fleet does would let it run ahead, and every sample that then arrives on time would count as late (its
 * windows already closed), blinding the window-judging detectors until real time caught up:
 * - an agent whose clock runs fast (within the accepted skew): a sample counts as no later than the wall clock at its
 *   arrival (`count`), and storage keeps its own `ts`;
 * - the same agent in a backlog (a catch-up after a restart, where every `ts` is older than the wall clock): the
 *   partition's event time is its second-newest host's, so one host ahead of the rest moves nothing (with fewer than
 *   three hosts, the newest's);
 * - a pause of the whole stream (NATS restarting, a network blip): the partition must still close its last windows
 *   and let detectors conclude, so while nothing arrives, event time follows the wall clock, one millisecond per
 *   millisecond from `quietAfterMs` after the last arrival, and never faster (`followWallClock`).
 *
 * This is window policy, so it lives beside the window core rather than in the service that reads NATS: the
 * aggregator, the detection scenarios and the benchmarks drive the same clock. Wall times are passed in, never read
 * here, and counting a sample touches only numbers.
 */
export class EventClock {
  /** The partition's event time (-Infinity before the first sample); it never goes back. */
  private current = -Infinity;
  /** The newest host's newest event time and that host, and the newest event time of every other host. */
  private first = -Infinity;
  private firstHost = -1;
  private second = -Infinity;
  /** Wall time of the latest arrival, and the partition's event time then. */
  private lastArrivalWall = NaN;
  private atLastArrival = -Infinity;
  /**
   * Wall time from which the partition last started hearing its hosts again: its first arrival, or the first after a
   * quiet spell. Whoever was silent through the spell is not to blame for it: the silence detectors give every host
   * their time from here to be heard again.
   */
  resumedWall = NaN;

  /** @param quietAfterMs how long without any arrival makes the partition quiet (its allowed lateness) */
  constructor(private readonly quietAfterMs: number) {}

  /** The partition's event time. */
  get now(): number {
    return this.current;
  }

  /** A message arrived at `wallMs`: the samples it holds are counted with `count`. */
  arrived(wallMs: number): void {
    if (!(wallMs - this.lastArrivalWall <= this.quietAfterMs)) this.resumedWall = wallMs;
    this.lastArrivalWall = wallMs;
    this.atLastArrival = this.current;
  }

  /**
   * Counts a sample of the latest arrival from host `host` (a dense id), with `hosts` hosts in the partition, and
   * returns its event time: its `ts`, or the wall clock at its arrival when `ts` is ahead of that.
   */
  count(ts: number, host: number, hosts: number): number {
    const arrival = this.lastArrivalWall;
    const t = ts > arrival ? arrival : ts;
    if (host === this.firstHost) {
      if (t > this.first) this.first = t;
    } else if (t > this.first) {
      this.second = this.first;
      this.first = t;
      this.firstHost = host;
    } else if (t > this.second) this.second = t;
    const partition = hosts >= 3 ? this.second : this.first;
    if (partition > this.current) this.current = this.atLastArrival = partition;
    return t;
  }

  /**
   * A quiet partition's event time at wall time `wallMs`: its event time at the last arrival plus the wall time since,
   * less `quietAfterMs`. Moves `now` there when that is ahead; returns whether it moved.
   */
  followWallClock(wallMs: number): boolean {
    const idle = wallMs - this.lastArrivalWall;
    if (!(idle > this.quietAfterMs) || this.atLastArrival === -Infinity) return false;
    const t = this.atLastArrival + idle - this.quietAfterMs;
    if (!(t > this.current)) return false;
    this.current = t;
    return true;
  }
}

/**
 * Runs async tasks one at a time, in arrival order. The embedded engine executes one query at a time per process
 * (a second call waits inside libchdb on a libuv worker thread); queueing in JS instead keeps the libuv pool free for
 * file and network work and gives every caller a fair first-come order.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Tasks waiting or running. */
  get pending(): number {
    return this.#pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task);
    const settled = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    this.#tail = settled;
    return result;
  }
}

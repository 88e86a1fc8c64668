/**
 * Runs async tasks one at a time, in arrival order: a lane of the embedded engine. A statement waits for the one
 * before it here rather than on a libuv worker thread inside libchdb, which keeps the libuv pool (four threads) free
 * for file and network work, and gives every caller a first-come order.
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

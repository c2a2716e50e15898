/**
 * Runs async jobs one after another, in the order they were queued. The
 * connection keeps one queue for what it receives and one for what it
 * sends, so that records keep their sequence numbers in order (WebCrypto
 * promises may resolve out of order).
 *
 * @module
 */

/** A FIFO of async jobs, each started when the previous one has settled. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queues `job` and resolves with its result. A failed job does not stop later ones. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job);
    this.#tail = result.catch(() => {});
    return result;
  }
}

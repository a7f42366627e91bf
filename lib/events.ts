/**
 * One dispatcher for callbacks and `for await` (nats.js's QueuedIterator):
 * protocol code pushes items, a consumer takes them either one at a time
 * through an async iterator or through a callback, and pushing never waits
 * for the consumer, so a slow consumer never stalls the connection.
 *
 * @module
 */

import { Deque } from "./session/queue.ts";

/**
 * An unbounded queue that is also an async iterable with exactly one
 * consumer. `push` never blocks; `stop()` ends the iteration after the items
 * already queued, `stop(error)` makes the iteration throw once they are
 * drained.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const q = new EventQueue<number>();
 * q.push(1); q.push(2); q.stop();
 * for await (const n of q) console.log(n); // 1, 2
 * ```
 */
export class EventQueue<T> implements AsyncIterableIterator<T>, AsyncDisposable {
  #items = new Deque<T>();
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiter: ((error: unknown) => void) | undefined;
  #done = false;
  #error: unknown = undefined;
  #onStop: (() => void) | undefined;

  /** `onStop` runs once when the queue is stopped, by either side. */
  constructor(onStop?: () => void) {
    this.#onStop = onStop;
  }

  /** Items queued and not yet taken. */
  get pending(): number {
    return this.#items.length;
  }

  /** True once `stop()` was called (items may still be draining). */
  get stopped(): boolean {
    return this.#done;
  }

  /** Queues an item; ignored after `stop()`. */
  push(item: T): void {
    if (this.#done) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      waiter({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  /** Ends the iteration once the queued items are taken (or with `error`). */
  stop(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    const onStop = this.#onStop;
    this.#onStop = undefined;
    if (this.pending === 0) this.#settleWaiter();
    onStop?.();
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    const fail = this.#failWaiter;
    this.#waiter = undefined;
    this.#failWaiter = undefined;
    if (!waiter || !fail) return;
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      fail(error);
    } else {
      waiter({ value: undefined, done: true });
    }
  }

  /** Takes the next item, waiting for one if none is queued. */
  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) {
      return Promise.resolve({ value: this.#items.shift() as T, done: false });
    }
    if (this.#done) {
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) return Promise.reject(new Error("EventQueue has a single consumer"));
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  /** Called by `break` in a `for await` loop: stops the queue. */
  return(): Promise<IteratorResult<T>> {
    this.#items = new Deque();
    // stop() settles a waiting next(); an earlier stop(error) is dropped.
    this.stop();
    this.#error = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** `await using events = ...`: stops the queue at the end of the scope, like `break`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** Returns itself: the queue has a single consumer. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/**
 * Calls `listener` with `value`, reporting (never throwing) an exception or a
 * rejected promise so that one bad listener cannot stall the others.
 */
export function callListener<T>(
  listener: (value: T) => unknown,
  value: T,
  onError: (error: unknown) => void,
): void {
  try {
    const result = listener(value);
    if (result instanceof Promise) result.catch(onError);
  } catch (error) {
    onError(error);
  }
}

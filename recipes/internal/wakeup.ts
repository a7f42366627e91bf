/**
 * Small waiting helpers shared by the recipes.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { abortable } from "../../lib/abort.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import type { WatchedEvent, Watcher } from "../../lib/types.ts";

/**
 * A watch callback that wakes one waiter. Call `arm()` before the read that
 * sets the watch, then `wait()`: an event that arrived in between is not
 * missed. Re-registering the same callback does not pile up watches on the
 * client.
 */
export class Wakeup {
  #event: WatchedEvent | undefined;
  #resolve: ((event: WatchedEvent) => void) | undefined;
  /** Pass this as the `watch` of a read. */
  readonly watcher: Watcher = (event) => {
    this.#event = event;
    this.#resolve?.(event);
    this.#resolve = undefined;
  };

  /** Forgets an earlier event: call before the read that sets the watch. */
  arm(): void {
    this.#event = undefined;
  }

  /** Resolves with the event (at once if it already came); rejects when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<WatchedEvent> {
    if (this.#event) return Promise.resolve(this.#event);
    return abortable(new Promise<WatchedEvent>((resolve) => this.#resolve = resolve), signal);
  }
}

/**
 * Forgets a one-shot watcher once a wait no longer needs it: an unfired
 * watcher would stay in the client's table, and its watch on the server,
 * until its node changes, which for a watch on a node that is gone may be
 * never. The local entry goes at once; the server's watch goes in the
 * background unless another watcher of this client needs it (or a read is
 * setting it right now). A watcher that already fired is fine. Never
 * waits for the server, so an abandoned wait returns at once even while
 * the client is disconnected.
 */
export function forgetWatcher(
  zk: ZooKeeperClientCore,
  path: string,
  watcher: Watcher,
  type: "data" | "children",
): Promise<void> {
  // removeWatches drops the local watcher before its first await.
  zk.removeWatches(path, { type, watcher }).catch(() => {
    // Already fired, dropped with the session, or the connection is down:
    // the server forgets a connection's watches with it.
  });
  return Promise.resolve();
}

/**
 * Runs `fn` with a signal that also aborts after `options.timeout` ms; if the
 * timeout is what stopped it, resolves with `onTimeout` instead of rejecting.
 */
export async function withTimeout<T>(
  options: { signal?: AbortSignal; timeout?: number },
  onTimeout: T,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const { signal, timeout } = options;
  if (timeout === undefined) return await fn(signal);
  if (!(timeout >= 0)) {
    throw new BadArgumentsError(`timeout must be a number of ms >= 0, not ${timeout}`);
  }
  const timer = new AbortController();
  const id = setTimeout(() => timer.abort(new DOMException("timed out", "TimeoutError")), timeout);
  try {
    return await fn(signal ? AbortSignal.any([signal, timer.signal]) : timer.signal);
  } catch (error) {
    if (timer.signal.aborted && !signal?.aborted) return onTimeout;
    throw error;
  } finally {
    clearTimeout(id);
  }
}

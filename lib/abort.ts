/**
 * `AbortSignal` helpers shared by the client and the recipes: an abortable
 * sleep, a way to stop waiting on a promise when a signal fires, and a guard.
 * Each one rejects with `signal.reason`, so a caller that aborts sees its own
 * reason, and none of them leaves a timer or a listener behind once settled.
 *
 * @module
 */

/**
 * Throws `signal.reason` if `signal` has been aborted; does nothing for an
 * absent signal.
 *
 * @example
 * ```ts
 * import { throwIfAborted } from "./abort.ts";
 * const controller = new AbortController();
 * throwIfAborted(controller.signal); // fine
 * controller.abort(new Error("stop"));
 * throwIfAborted(controller.signal); // throws Error("stop")
 * ```
 */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason;
}

/**
 * Resolves after `ms` milliseconds, or rejects with `signal.reason` as soon as
 * `signal` aborts (at once if it already has). The timer is cleared on abort.
 *
 * @example
 * ```ts
 * import { sleep } from "./abort.ts";
 * await sleep(100); // 100 ms later
 * await sleep(60_000, AbortSignal.timeout(10)); // rejects after 10 ms with a TimeoutError
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `promise`, unless `signal` aborts first: then it rejects with
 * `signal.reason`. The work behind `promise` is not cancelled, only no
 * longer waited for; its eventual rejection is handled, never reported as
 * unhandled. The abort listener is removed once either side settles.
 *
 * @example
 * ```ts
 * import { abortable } from "./abort.ts";
 * const controller = new AbortController();
 * const reply = abortable(fetch("https://example.com"), controller.signal);
 * controller.abort(new Error("user gave up"));
 * await reply; // rejects with Error("user gave up")
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

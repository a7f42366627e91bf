/**
 * `DataWatch`: kazoo's recipe that calls a function with a node's data now and
 * again after every change, and keeps doing so across reconnects and session
 * expiry. Also the shared machinery of {@linkcode ChildrenWatch}
 * ({@linkcode WatchRecipe}).
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  ClientClosedError,
  isRetryable,
  NoNodeError,
  NoWatcherError,
} from "../lib/errors.ts";
import { EventQueue } from "../lib/events.ts";
import { sleep } from "../lib/abort.ts";
import type { Stat, State, WatchedEvent, Watcher } from "../lib/types.ts";

/** What a watch function may return: `false` (or a promise of it) stops the watch. */
export type WatchVerdict = boolean | void | Promise<boolean | void>;

/** Options shared by {@linkcode DataWatch} and {@linkcode ChildrenWatch}. */
export interface WatchRecipeOptions {
  /** Aborting stops the watch, as {@linkcode WatchRecipe.close} does. */
  signal?: AbortSignal;
  /**
   * Receives exceptions thrown by the watch function and errors that end the
   * watch after its first call (default: `console.error`). The watch keeps
   * going after a throwing function, as kazoo's does.
   */
  onError?: (error: unknown) => void;
}

const defaultOnError = (error: unknown): void => console.error(error);

/**
 * The engine of {@linkcode DataWatch} and {@linkcode ChildrenWatch}: one read
 * at a time, re-run (coalesced) on each watch event and on every reconnect,
 * retried through connection loss and expiry, delivered to a function or to
 * one `for await` loop, and cleaned up (state listener, server watch) when it
 * stops. Not meant to be used directly.
 *
 * @example
 * ```ts
 * import { DataWatch, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const watch = new DataWatch(zk, "/config", (data) => console.log(data));
 * await watch.ready;
 * await watch.close();
 * ```
 */
export abstract class WatchRecipe<T> implements AsyncIterable<T>, AsyncDisposable {
  /** The watched path. */
  readonly path: string;
  /**
   * Settles at the first delivery (resolves), or when the watch ends before
   * it: rejects with the error (`NoNodeError` for a missing `ChildrenWatch`
   * node) or the signal's reason; resolves if `close()` ended it.
   */
  readonly ready: Promise<void>;
  /** The client the watch reads through. */
  protected readonly zk: ZooKeeperClientCore;
  /** The one-shot watch callback of every read (one function, so the client keeps one entry). */
  protected readonly watcher: Watcher;

  readonly #deliver: ((value: T) => WatchVerdict) | undefined;
  readonly #queue: EventQueue<T> | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #sleeper = new AbortController();
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #delivered = false;
  #stopped = false;
  #closing: Promise<void> | undefined;
  #busy = false;
  #again = false;
  #pendingEvent: WatchedEvent | undefined;
  #reading: Promise<unknown> | undefined;
  #lastState: State;

  /** Subclasses call {@linkcode begin} at the end of their constructor. */
  protected constructor(
    zk: ZooKeeperClientCore,
    path: string,
    deliver: ((value: T) => WatchVerdict) | undefined,
    options: WatchRecipeOptions,
  ) {
    this.zk = zk;
    this.path = path;
    this.#deliver = deliver;
    this.#onError = options.onError ?? defaultOnError;
    this.#signal = options.signal;
    this.#lastState = zk.state;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
    if (deliver === undefined) this.#queue = new EventQueue<T>(() => void this.close());
    this.watcher = (event) => {
      if (this.#stopped) return;
      if (event.type === "NONE") {
        // Expiry is handled by the state listener (LOST, then CONNECTED);
        // a closed client ends the watch.
        if (event.state === "CLOSED") this.#finish(undefined);
        return;
      }
      this.#request(event);
    };
  }

  /** Starts the first read; called by subclasses once their fields are set. */
  protected begin(): void {
    if (this.#signal?.aborted) {
      this.#finish(this.#signal.reason, true);
      return;
    }
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.zk.addListener(this.#onState);
    this.#request(undefined);
  }

  /**
   * Reads the current value and leaves a one-shot watch with
   * {@linkcode watcher}. Returns `undefined` to end the watch quietly.
   * Connection loss and expiry are retried by the caller.
   */
  protected abstract read(event: WatchedEvent | undefined): Promise<T | undefined>;

  /** Whether `value` is a change worth delivering (`first`: nothing was delivered yet). */
  protected abstract shouldDeliver(value: T, first: boolean): boolean;

  /** The kind of one-shot watch this recipe leaves (for `removeWatches`). */
  protected abstract readonly watchType: "data" | "children";

  /** True once the watch has stopped (closed, aborted, the function returned `false`, or an error). */
  get stopped(): boolean {
    return this.#stopped;
  }

  // An abort ends a `for await` loop quietly, as the client's own iterators do.
  #onAbort = (): void => this.#finish(this.#signal?.reason, true);

  #onState = (state: State): void => {
    const previous = this.#lastState;
    this.#lastState = state;
    // kazoo re-reads on every CONNECTED: after a reconnect the one-shot watch
    // may have missed a change (expiry drops it altogether).
    if (state === "CONNECTED" && previous !== "CONNECTED") this.#request(undefined);
  };

  #request(event: WatchedEvent | undefined): void {
    if (this.#stopped) return;
    if (event !== undefined) this.#pendingEvent = event;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.#stopped) {
        const event = this.#pendingEvent;
        this.#pendingEvent = undefined;
        this.#again = false;
        let value: T | undefined;
        try {
          const reading = this.read(event);
          this.#reading = reading;
          value = await reading;
          failures = 0;
        } catch (error) {
          if (this.#stopped) return;
          if (isRetryable(error)) {
            // Requests made while disconnected wait for the reconnect; back
            // off only when that keeps failing.
            if (++failures > 2) {
              await sleep(Math.min(1000, 25 * 2 ** failures), this.#sleeper.signal).catch(() => {});
            }
            this.#again = true;
            if (event !== undefined) this.#pendingEvent ??= event;
            continue;
          }
          this.#finish(error instanceof ClientClosedError ? undefined : error);
          return;
        } finally {
          this.#reading = undefined;
        }
        if (this.#stopped) return;
        if (value === undefined) {
          this.#finish(undefined);
          return;
        }
        const first = !this.#delivered;
        if (this.shouldDeliver(value, first)) {
          this.#delivered = true;
          let verdict: boolean | void = undefined;
          if (this.#deliver) {
            try {
              verdict = await this.#deliver(value);
            } catch (error) {
              this.#onError(error);
            }
          } else {
            this.#queue?.push(value);
          }
          if (first) this.#resolveReady();
          if (verdict === false) {
            this.#finish(undefined);
            return;
          }
        }
        if (!this.#again) return;
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Stops delivering and starts the cleanup; `error` is reported as described on `ready`. */
  #finish(error: unknown, aborted = false): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.zk.removeListener(this.#onState);
    this.#sleeper.abort();
    if (!this.#delivered) {
      if (error === undefined) this.#resolveReady();
      else this.#rejectReady(error);
    } else if (error !== undefined && this.#deliver && !aborted) {
      this.#onError(error);
    }
    this.#queue?.stop(aborted ? undefined : error);
    this.#closing = this.#removeWatch();
  }

  async #removeWatch(): Promise<void> {
    // A read in flight leaves its watch when the reply arrives: wait for it.
    await this.#reading?.catch(() => {});
    const remove = (local: boolean) =>
      this.zk.removeWatches(this.path, { type: this.watchType, watcher: this.watcher, local });
    try {
      // While disconnected the server has already dropped this connection's
      // watches; removing ours locally keeps the reconnect from re-adding them.
      await remove(!this.zk.connected);
    } catch (error) {
      if (error instanceof NoWatcherError || error instanceof ClientClosedError) return;
      if (!isRetryable(error)) {
        this.#onError(error);
        return;
      }
      await remove(true).catch(() => {});
    }
  }

  /**
   * Stops the watch: no more calls, the state listener goes and the server
   * watch is removed. Idempotent; resolves once the cleanup is done.
   */
  close(): Promise<void> {
    this.#finish(undefined);
    return this.#closing ?? Promise.resolve();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The values, for a watch made without a function: one `for await` loop;
   * breaking out of it closes the watch.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#queue === undefined) {
      throw new BadArgumentsError(
        "a watch made with a function delivers to it and cannot be iterated",
      );
    }
    return this.#queue;
  }
}

/** One value of a {@linkcode DataWatch}. */
export interface DataWatchValue {
  /** The node's data, or `null` when it does not exist. */
  data: Uint8Array | null;
  /** The node's metadata, or `null` when it does not exist. */
  stat: Stat | null;
  /** The watch event that led to this read; absent for the first read and after a reconnect. */
  event?: WatchedEvent;
}

/**
 * The function of a {@linkcode DataWatch}: called with the data and stat
 * (both `null` for a missing node) and the triggering event. Returning
 * `false` stops the watch.
 */
export type DataWatchFunction = (
  data: Uint8Array | null,
  stat: Stat | null,
  event?: WatchedEvent,
) => WatchVerdict;

/**
 * Watches a node's data, kazoo's way: the function is called at once, then
 * again each time the node changes (a new `mzxid`), is deleted (`null`s) or
 * is created, until it returns `false` or the watch is closed. After a
 * reconnect or a session expiry the node is read again and the function is
 * called if it changed meanwhile. Without a function, the watch is an async
 * iterable of {@linkcode DataWatchValue}.
 *
 * @example Callback
 * ```ts
 * import { connect, DataWatch } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181");
 * await using watch = new DataWatch(zk, "/config", (data, stat) => {
 *   console.log("config", stat?.version, data && new TextDecoder().decode(data));
 * });
 * await watch.ready; // the first call has happened
 * ```
 *
 * @example Async iteration
 * ```ts
 * import { DataWatch, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const signal = AbortSignal.timeout(60_000);
 * for await (const { data, stat } of new DataWatch(zk, "/config", { signal })) {
 *   if (stat === null) console.log("deleted");
 *   else console.log("now", new TextDecoder().decode(data!));
 * }
 * ```
 */
export class DataWatch extends WatchRecipe<DataWatchValue> {
  /** A data watch is what this recipe leaves on the server. */
  protected readonly watchType: "data" = "data";
  #lastVersion: bigint | null = null;

  /** Calls `fn` with the node's data now and after every change. */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    fn: DataWatchFunction,
    options?: WatchRecipeOptions,
  );
  /** A watch to iterate with `for await`. */
  constructor(zk: ZooKeeperClientCore, path: string, options?: WatchRecipeOptions);
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    fnOrOptions?: DataWatchFunction | WatchRecipeOptions,
    maybeOptions?: WatchRecipeOptions,
  ) {
    const fn = typeof fnOrOptions === "function" ? fnOrOptions : undefined;
    const options = (typeof fnOrOptions === "function" ? maybeOptions : fnOrOptions) ?? {};
    super(
      zk,
      path,
      fn && ((value: DataWatchValue) => fn(value.data, value.stat, value.event)),
      options,
    );
    this.begin();
  }

  /** Reads the node and leaves the watch. */
  protected async read(event: WatchedEvent | undefined): Promise<DataWatchValue> {
    while (true) {
      try {
        const { data, stat } = await this.zk.get(this.path, { watch: this.watcher });
        return event === undefined ? { data, stat } : { data, stat, event };
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      // Missing: an exists watch reports its creation.
      const stat = await this.zk.exists(this.path, { watch: this.watcher });
      if (stat === null) {
        return event === undefined ? { data: null, stat: null } : { data: null, stat: null, event };
      }
      // Created between the two reads: read it again.
    }
  }

  /** Whether this read is a change for the function. */
  protected shouldDeliver(value: DataWatchValue, first: boolean): boolean {
    const version = value.stat?.mzxid ?? null;
    const changed = first || version !== this.#lastVersion;
    this.#lastVersion = version;
    return changed;
  }
}

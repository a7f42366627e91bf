/**
 * Curator's `SharedCount`: an int shared through one PERSISTENT znode as 4
 * big-endian bytes, with a locally cached value kept current by a data watch,
 * compare-and-set on the node's version, and change listeners. A Java service
 * running Curator's `SharedCount` on the same path shares the same count.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import {
  BadArgumentsError,
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  NoNodeError,
  NoWatcherError,
  SessionExpiredError,
} from "../../lib/errors.ts";
import { callListener, EventQueue } from "../../lib/events.ts";
import { type CallOptions, State, type WatchedEvent } from "../../lib/types.ts";
import { createWithParents, decodeInt32, encodeInt32 } from "./nodes.ts";
import { NodeExistsError } from "../../lib/errors.ts";

/** A value and the node version it was read at, Curator's `VersionedValue`. */
export interface VersionedValue<T> {
  /** The node's `Stat.version` when the value was read or written (-1 before the first read). */
  readonly version: number;
  /** The value. */
  readonly value: T;
}

/** Options of {@linkcode SharedCount}. */
export interface SharedCountOptions {
  /** Receives errors of listeners and of background reads (default `console.error`). */
  onError?: (error: unknown) => void;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkInt32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new BadArgumentsError(`${what} must be an int32 (Curator's SharedCount), not ${value}`);
  }
}

/**
 * A count shared by every client on `path`, Curator's `SharedCount`. The
 * node is created with `seed` by the first {@linkcode SharedCount.start};
 * afterwards {@linkcode SharedCount.count} is the latest value seen, updated
 * by a watch, and listeners hear of each change (intermediate values may be
 * skipped, as in Curator).
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { SharedCount } from "@zk/client/curator";
 * await using shared = new SharedCount(zk, "/app/workers", 0);
 * await shared.start();
 * shared.addListener((count) => console.log("now", count));
 * // compare-and-set: retry with the fresh value when someone else won
 * while (!(await shared.trySetCount(shared.versionedValue, shared.count + 1)));
 * ```
 */
export class SharedCount implements AsyncDisposable, AsyncIterable<number> {
  /** The count's node. */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #seed: number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<(count: number) => unknown>();
  readonly #queues = new Set<EventQueue<number>>();
  #current: VersionedValue<number> = { version: -1, value: 0 };
  // The node's creation zxid: versions only compare within one incarnation of the node.
  #czxid = -1n;
  #state: "latent" | "started" | "closed" = "latent";
  #reading: Promise<void> | undefined;
  #readAgain = false;
  #closing: Promise<void> | undefined;

  /** Makes the count; nothing is sent before {@linkcode SharedCount.start}. */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    seed: number,
    options: SharedCountOptions = {},
  ) {
    checkInt32(seed, "seed");
    this.#zk = zk;
    this.path = path;
    this.#seed = seed;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#current = { version: -1, value: seed };
  }

  /** The latest count seen. */
  get count(): number {
    return this.#current.value;
  }

  /** The latest count seen with its node version: pass it to {@linkcode SharedCount.trySetCount}. */
  get versionedValue(): VersionedValue<number> {
    return this.#current;
  }

  /**
   * Creates the node with the seed if it is missing (parents as containers),
   * reads it and starts watching it.
   *
   * @throws {DataInconsistencyError} when the node holds fewer than 4 bytes.
   */
  async start(options: CallOptions = {}): Promise<void> {
    if (this.#state !== "latent") {
      throw new BadArgumentsError(`SharedCount ${this.path} was already started`);
    }
    this.#state = "started";
    const signal = options.signal;
    try {
      await this.#zk.retry(async () => {
        try {
          await createWithParents(this.#zk, this.path, encodeInt32(this.#seed), { signal });
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
        }
        await this.#read(signal);
      }, { maxTries: -1, signal });
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#zk.addListener(this.#onState);
  }

  /**
   * Sets the count whatever it is now (Curator's `setCount`, an unversioned write).
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const shared = new SharedCount(zk, "/app/limit", 10);
   * await shared.start();
   * await shared.setCount(20);
   * ```
   */
  async setCount(count: number, options: CallOptions = {}): Promise<void> {
    checkInt32(count, "count");
    this.#checkStarted();
    const stat = await this.#zk.set(this.path, encodeInt32(count), { signal: options.signal });
    this.#update({ version: stat.version, value: count }, stat.czxid);
  }

  /**
   * Sets the count to `count` only if it is still `previous` (Curator's
   * `trySetCount`): false at once when `previous` is not the latest value
   * this instance has seen, false when the node's version moved on (the cache
   * is refreshed then, so a retry can use {@linkcode SharedCount.versionedValue}),
   * true once written.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const shared = new SharedCount(zk, "/app/seq", 0);
   * await shared.start();
   * let next: number;
   * do next = shared.count + 1; while (!(await shared.trySetCount(shared.versionedValue, next)));
   * ```
   */
  async trySetCount(
    previous: VersionedValue<number>,
    count: number,
    options: CallOptions = {},
  ): Promise<boolean> {
    checkInt32(count, "count");
    this.#checkStarted();
    const current = this.#current;
    if (previous.version !== current.version || previous.value !== current.value) return false;
    try {
      const stat = await this.#zk.set(this.path, encodeInt32(count), {
        version: previous.version,
        signal: options.signal,
      });
      this.#update({ version: stat.version, value: count }, stat.czxid);
      return true;
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
      await this.#read(options.signal);
      return false;
    }
  }

  /** Calls `listener` with the count after each change seen (through the client's guarded path). */
  addListener(listener: (count: number) => unknown): void {
    this.#listeners.add(listener);
  }

  /** Removes a listener added with {@linkcode SharedCount.addListener}. */
  removeListener(listener: (count: number) => unknown): void {
    this.#listeners.delete(listener);
  }

  /**
   * The counts seen from now on, as an async iterable that ends when `signal`
   * aborts, the loop breaks or the count is closed.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const shared = new SharedCount(zk, "/app/workers", 0);
   * await shared.start();
   * for await (const count of shared.changes({ signal: AbortSignal.timeout(60_000) })) {
   *   if (count >= 10) break;
   * }
   * ```
   */
  changes(options: CallOptions = {}): AsyncIterableIterator<number> {
    const signal = options.signal;
    const onAbort = () => queue.stop();
    const queue: EventQueue<number> = new EventQueue<number>(() => {
      this.#queues.delete(queue);
      signal?.removeEventListener("abort", onAbort);
    });
    if (this.#state === "closed" || signal?.aborted) {
      queue.stop();
      return queue;
    }
    this.#queues.add(queue);
    signal?.addEventListener("abort", onAbort, { once: true });
    return queue;
  }

  /** The same as {@linkcode SharedCount.changes} with no options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<number> {
    return this.changes();
  }

  /** Stops watching: listeners and iterators end, the server watch is removed. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const wasStarted = this.#state === "started";
      this.#state = "closed";
      this.#zk.removeListener(this.#onState);
      for (const queue of [...this.#queues]) queue.stop();
      this.#listeners.clear();
      await this.#reading?.catch(() => {});
      if (!wasStarted) return;
      try {
        await this.#zk.removeWatches(this.path, { type: "data", watcher: this.#watcher });
      } catch (error) {
        // Not watching (the node was gone), or the client is closed: nothing left on the server.
        if (
          !(error instanceof NoWatcherError || error instanceof ClientClosedError ||
            error instanceof ConnectionLossError || error instanceof SessionExpiredError)
        ) {
          throw error;
        }
      }
    })();
  }

  /** The same as {@linkcode SharedCount.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkStarted(): void {
    if (this.#state !== "started") {
      throw new BadArgumentsError(`SharedCount ${this.path} is not started (or closed)`);
    }
  }

  /** Reads the node and sets the watch; a missing node is watched until it is back. */
  async #read(signal?: AbortSignal): Promise<void> {
    let data: Uint8Array, version: number, czxid: bigint;
    try {
      ({ data, stat: { version, czxid } } = await this.#zk.get(this.path, {
        watch: this.#watcher,
        signal,
      }));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // Deleted: wait for it to come back rather than going deaf.
      if (await this.#zk.exists(this.path, { watch: this.#watcher, signal }) !== null) {
        return this.#read(signal);
      }
      return;
    }
    this.#update({ version, value: decodeInt32(data, this.path) }, czxid);
  }

  /**
   * Takes a value if it is newer than the cached one, and tells the listeners.
   * A node deleted and created again starts over at version 0: Curator would
   * ignore it from then on; a later creation zxid tells us to take it.
   */
  #update(next: VersionedValue<number>, czxid: bigint): void {
    if (czxid < this.#czxid) return;
    if (czxid === this.#czxid && next.version <= this.#current.version) return;
    this.#czxid = czxid;
    this.#current = next;
    if (this.#state === "closed") return;
    for (const listener of [...this.#listeners]) callListener(listener, next.value, this.#onError);
    for (const queue of this.#queues) queue.push(next.value);
  }

  /** Re-reads in the background, one read at a time, coalescing requests that come meanwhile. */
  #refresh(): void {
    if (this.#state !== "started") return;
    this.#readAgain = true;
    this.#reading ??= (async () => {
      try {
        while (this.#readAgain && this.#state === "started") {
          this.#readAgain = false;
          try {
            await this.#read();
          } catch (error) {
            // A reconnect will read again; anything else is worth reporting.
            if (
              !(error instanceof ConnectionLossError || error instanceof SessionExpiredError ||
                error instanceof ClientClosedError)
            ) {
              this.#onError(error);
            }
          }
        }
      } finally {
        this.#reading = undefined;
      }
    })();
  }

  readonly #watcher = (event: WatchedEvent): void => {
    // NONE: a connection change, handled by #onState.
    if (event.type !== "NONE") this.#refresh();
  };

  // Curator re-reads on every (re)connect: changes made while away, and the
  // watch a new session does not have.
  readonly #onState = (state: State): void => {
    if (state === State.CONNECTED) this.#refresh();
  };
}

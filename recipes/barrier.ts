/**
 * Barriers, kazoo's `Barrier` and `DoubleBarrier` on the same znodes:
 *
 * - a {@linkcode Barrier} is up while its node exists; waiters proceed once it
 *   is removed;
 * - a {@linkcode DoubleBarrier} holds `numClients` participants at the start
 *   of a task until all have entered (`{path}/ready` appears), and at the end
 *   until all have left. Participants are ephemeral `{path}/{uuid4hex}` nodes
 *   holding the identifier.
 *
 * Unlike kazoo's, every wait survives a reconnect (the watch is re-registered
 * with the same session) and starts over after a session expiry (the
 * participant node is re-created), and every wait takes a `signal`.
 *
 * @module
 */

import { deleteIfPresent } from "./internal/tolerant.ts";
import { forgetWatcher, Wakeup, withTimeout } from "./internal/wakeup.ts";
import { createOwnEphemeral } from "./internal/owned.ts";
import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  BadVersionError,
  isRetryable,
  NodeExistsError,
  NoNodeError,
} from "../lib/errors.ts";
import { joinPath } from "../lib/paths.ts";
import type { CallOptions } from "../lib/types.ts";

/** Options of {@linkcode Barrier.wait}. */
export interface BarrierWaitOptions extends CallOptions {
  /** Give up after this many ms and resolve `false` (default: wait for as long as it takes). */
  timeout?: number;
}

/**
 * A barrier: processes {@linkcode Barrier.wait} until it is
 * {@linkcode Barrier.remove}d. The barrier is up while `path` exists.
 *
 * @example
 * ```ts
 * import { Barrier, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const other: ZooKeeperClient; // another process's client
 * const barrier = new Barrier(zk, "/deploy/gate");
 * await barrier.create();
 * // elsewhere: waits until the gate opens, or 30 s
 * const opened = await new Barrier(other, "/deploy/gate").wait({ timeout: 30_000 });
 * // and somewhere else: open the gate
 * await barrier.remove();
 * ```
 */
export class Barrier {
  /** The barrier's node. */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;

  /** Makes a barrier on `path`; nothing is sent until a call. */
  constructor(zk: ZooKeeperClientCore, path: string) {
    this.#zk = zk;
    this.path = path;
  }

  /**
   * Puts the barrier up (creates its node and any missing parents); a
   * barrier already up is fine.
   *
   * @example
   * ```ts
   * import { Barrier, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * await new Barrier(zk, "/deploy/gate").create();
   * ```
   */
  async create(options: CallOptions = {}): Promise<void> {
    const signal = options.signal;
    await this.#zk.retry(() => this.#zk.ensurePath(this.path, { signal }), {
      maxTries: -1,
      signal,
    });
  }

  /**
   * Takes the barrier down: deletes the node that is up when the call
   * starts, and only that one. Resolves `true` once it is down, `false` if
   * no barrier was up (or another client removed it first).
   *
   * Through connection loss: if the reply to our delete is lost, the retry
   * first looks at the node again. Gone means it is down (by our delete, or
   * by a concurrent remove: both count as `true`); a node with another
   * creation zxid is a barrier put up again since, and is left alone; the
   * same node is deleted again, conditionally on its version. kazoo instead
   * retries a plain delete, which can take down a barrier raised meanwhile.
   * One window remains: if, within the one round trip between that look and
   * the delete, others both remove the barrier and raise a new one, the new
   * one is deleted (ZooKeeper has no delete conditional on the creation zxid).
   *
   * @example
   * ```ts
   * import { Barrier, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const removed = await new Barrier(zk, "/deploy/gate").remove();
   * ```
   */
  async remove(options: CallOptions = {}): Promise<boolean> {
    const signal = options.signal;
    const zk = this.#zk;
    const look = () => zk.retry(() => zk.exists(this.path, { signal }), { maxTries: -1, signal });
    const up = await look();
    if (up === null) return false;
    let version = up.version;
    while (true) {
      try {
        await zk.delete(this.path, { version, signal });
        return true;
      } catch (error) {
        if (error instanceof NoNodeError) return false;
        if (!(isRetryable(error, { expired: false }) || error instanceof BadVersionError)) {
          throw error;
        }
      }
      // Our delete may have gone through: is the barrier we saw still up?
      const now = await look();
      if (now === null || now.czxid !== up.czxid) return true;
      version = now.version;
    }
  }

  /**
   * Waits until the barrier is down. Resolves `true` once its node is gone
   * (at once if it is not up), or `false` when `timeout` ms pass first;
   * rejects with `signal.reason` when `signal` aborts.
   *
   * @example
   * ```ts
   * import { Barrier, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * if (!await new Barrier(zk, "/deploy/gate").wait({ timeout: 10_000 })) {
   *   console.log("still closed after 10 s");
   * }
   * ```
   */
  wait(options: BarrierWaitOptions = {}): Promise<boolean> {
    return withTimeout(options, false, async (signal) => {
      const wakeup = new Wakeup();
      try {
        while (true) {
          wakeup.arm();
          const stat = await this.#zk.retry(
            () => this.#zk.exists(this.path, { watch: wakeup.watcher, signal }),
            { maxTries: -1, signal },
          );
          if (stat === null) return true;
          await wakeup.wait(signal);
        }
      } finally {
        // An exists watch on the removed node would wait for its re-creation.
        await forgetWatcher(this.#zk, this.path, wakeup.watcher, "data");
      }
    });
  }
}

/**
 * A double barrier: {@linkcode DoubleBarrier.enter} blocks until
 * `numClients` participants have entered, {@linkcode DoubleBarrier.leave}
 * until all of them have left (ZooKeeper's recipe, kazoo's znodes).
 *
 * @example
 * ```ts
 * import { DoubleBarrier, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function doMyShare(): Promise<void>;
 * const barrier = new DoubleBarrier(zk, "/jobs/42/barrier", 3, "worker-1");
 * await barrier.enter({ signal: AbortSignal.timeout(60_000) });
 * await doMyShare();
 * await barrier.leave();
 * ```
 */
export class DoubleBarrier {
  /** The barrier's node. */
  readonly path: string;
  /** How many participants must enter before anyone proceeds. */
  readonly numClients: number;
  /** This participant's identifier (the data of its node). */
  readonly identifier: string;
  /** This participant's node name (32 hex digits, kazoo's `uuid4().hex`). */
  readonly node: string;
  readonly #zk: ZooKeeperClientCore;
  #participating = false;

  /**
   * Makes a participant; nothing is sent until {@linkcode DoubleBarrier.enter}.
   * `identifier` defaults to the node name (kazoo's default is `fqdn-pid`).
   */
  constructor(zk: ZooKeeperClientCore, path: string, numClients: number, identifier?: string) {
    if (!Number.isInteger(numClients) || numClients < 1) {
      throw new BadArgumentsError(`double barrier ${path}: numClients must be a positive integer`);
    }
    this.#zk = zk;
    this.path = path;
    this.numClients = numClients;
    this.node = crypto.randomUUID().replaceAll("-", "");
    this.identifier = identifier ?? this.node;
  }

  /** True between a successful {@linkcode DoubleBarrier.enter} and {@linkcode DoubleBarrier.leave}. */
  get participating(): boolean {
    return this.#participating;
  }

  get #ready(): string {
    return joinPath(this.path, "ready");
  }

  get #mine(): string {
    return joinPath(this.path, this.node);
  }

  /**
   * Enters the barrier and waits until `numClients` participants have. If
   * `signal` aborts or a call fails, our node is removed (best effort) and the
   * promise rejects; kazoo's `enter()` would swallow the error instead.
   *
   * @example
   * ```ts
   * import { DoubleBarrier, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * await new DoubleBarrier(zk, "/jobs/42/barrier", 3).enter();
   * ```
   */
  async enter(options: CallOptions = {}): Promise<void> {
    const signal = options.signal;
    const zk = this.#zk;
    const retry = <T>(fn: () => Promise<T>): Promise<T> => zk.retry(fn, { maxTries: -1, signal });
    const wakeup = new Wakeup();
    try {
      await retry(() => zk.ensurePath(this.path, { signal }));
      while (true) {
        wakeup.arm();
        // Created again after an expiry, which takes the ephemeral node along.
        await retry(() => this.#createMine(signal));
        if (await retry(() => zk.exists(this.#ready, { watch: wakeup.watcher, signal }))) break;
        const children = await retry(() => zk.getChildren(this.path, { signal }));
        if (children.filter((c) => c !== "ready").length >= this.numClients) {
          await retry(() => zk.create(this.#ready, null, { signal })).catch((error) => {
            if (!(error instanceof NodeExistsError)) throw error;
          });
          break;
        }
        // A CREATED event lets us through even if `ready` is gone again by the
        // time we would look (a fast participant has started to leave).
        if ((await wakeup.wait(signal)).type === "CREATED") break;
      }
      this.#participating = true;
    } catch (error) {
      await this.#cleanUp();
      throw error;
    } finally {
      await forgetWatcher(zk, this.#ready, wakeup.watcher, "data");
    }
  }

  /**
   * Leaves the barrier and waits until every participant has: the lowest
   * node waits for the highest to go, every other participant removes its
   * node and waits for the lowest.
   *
   * @example
   * ```ts
   * import type { DoubleBarrier } from "@zk/client";
   * declare const barrier: DoubleBarrier;
   * await barrier.leave({ signal: AbortSignal.timeout(60_000) });
   * ```
   */
  async leave(options: CallOptions = {}): Promise<void> {
    const signal = options.signal;
    const zk = this.#zk;
    const retry = <T>(fn: () => Promise<T>): Promise<T> => zk.retry(fn, { maxTries: -1, signal });
    try {
      await retry(() => deleteIfPresent(zk, this.#ready, signal));
      const wakeup = new Wakeup();
      while (true) {
        const children = (await retry(() => zk.getChildren(this.path, { signal })))
          .filter((c) => c !== "ready").sort();
        if (children.length === 0) break;
        const mine = children.includes(this.node);
        if (mine && children.length === 1) {
          await retry(() => deleteIfPresent(zk, this.#mine, signal));
          break;
        }
        let awaited: string;
        if (children[0] === this.node) {
          awaited = children[children.length - 1];
        } else {
          if (mine) await retry(() => deleteIfPresent(zk, this.#mine, signal));
          awaited = children[0];
        }
        wakeup.arm();
        const watched = joinPath(this.path, awaited);
        try {
          const there = await retry(() => zk.exists(watched, { watch: wakeup.watcher, signal }));
          if (there) await wakeup.wait(signal);
        } finally {
          // If it was gone already, the exists watch would wait for a re-creation.
          await forgetWatcher(zk, watched, wakeup.watcher, "data");
        }
      }
    } catch (error) {
      await this.#cleanUp();
      throw error;
    } finally {
      this.#participating = false;
    }
  }

  async #createMine(signal: AbortSignal | undefined): Promise<void> {
    // Our unique name: a node of an older session that the server still
    // holds is replaced, or it would vanish and leave the others waiting.
    await createOwnEphemeral(this.#zk, this.#mine, this.identifier, signal);
  }

  async #cleanUp(): Promise<void> {
    this.#participating = false;
    try {
      await this.#zk.retry(() => deleteIfPresent(this.#zk, this.#mine), { maxTries: 3 });
    } catch {
      // Best effort: the node is ephemeral and goes with the session anyway.
    }
  }
}

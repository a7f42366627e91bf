/**
 * Leader election, kazoo's way: the leader is the holder of a
 * {@linkcode Lock} on the election path (nodes `{uuid}__lock__{seq}`), so a
 * kazoo `Election` and this one on the same path elect one leader between
 * them. Unlike kazoo, the leader is told when its leadership is at risk.
 *
 * @example
 * ```ts
 * import { Election, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const shutdown: AbortSignal;
 * declare function scheduleJobs(options: { signal: AbortSignal }): Promise<void>;
 * const election = new Election(zk, "/services/scheduler/election", "host-a");
 * while (!shutdown.aborted) {
 *   await election.run(async (leadership) => {
 *     await scheduleJobs({ signal: leadership }); // stop when it aborts
 *   }, { signal: shutdown });
 * }
 * ```
 *
 * @module
 */

import type { OwnershipPolicy, ZooKeeperClientCore } from "../lib/core.ts";
import { BadArgumentsError } from "../lib/errors.ts";
import { whileConnected } from "./internal/contenders.ts";
import { Lock } from "./lock.ts";

/** Options of the {@linkcode Election} constructor. */
export interface ElectionOptions {
  /**
   * When the leadership signal aborts: `"suspended"` (at SUSPENDED or LOST)
   * or `"lost"` (at LOST only). Default: the client's `ownershipPolicy`.
   */
  ownershipPolicy?: OwnershipPolicy;
}

/** Options of {@linkcode Election.run}. */
export interface ElectionRunOptions {
  /**
   * Aborting leaves the election: before being elected, `run()` rejects with
   * `signal.reason`; once elected, the leadership signal aborts and `run()`
   * ends when the leader function returns.
   */
  signal?: AbortSignal;
}

/**
 * A leader election on `path`, compatible with kazoo's `Election`.
 *
 * {@linkcode Election.run} waits to be elected, calls the leader function
 * with a leadership signal, and steps down when the function settles. The
 * signal aborts when leadership is no longer certain: the connection is
 * SUSPENDED (unless the ownership policy is `"lost"`), the session is LOST,
 * the node is deleted, {@linkcode Election.cancel} is called or `run`'s
 * signal aborts. kazoo tells its leader none of this.
 *
 * @example
 * ```ts
 * import { Election, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function serveAsLeader(leadership: AbortSignal): Promise<void>;
 * const election = new Election(zk, "/election", "worker-1");
 * await election.run((leadership) => serveAsLeader(leadership));
 * console.log(await election.contenders()); // ["worker-2", ...]
 * ```
 */
export class Election {
  /** The election's path. */
  readonly path: string;
  /** This contender's identifier, as `contenders()` reports it. */
  readonly identifier: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #lock: Lock;
  #cancel: AbortController | undefined;

  /**
   * Describes the election; nothing is sent until `run()`.
   *
   * @param zk The client.
   * @param path The election's path (created with parents when missing).
   * @param identifier What `contenders()` reports for this contender (default `""`).
   */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    identifier = "",
    options: ElectionOptions = {},
  ) {
    this.#zk = zk;
    this.#lock = new Lock(zk, path, identifier, { ownershipPolicy: options.ownershipPolicy });
    this.path = path;
    this.identifier = identifier;
  }

  /**
   * Joins the election, waits to be elected, then runs `fn` with a
   * leadership signal and steps down (deletes its node) when `fn` settles;
   * resolves then, or rejects with `fn`'s error. Resolves without running
   * `fn` after {@linkcode Election.cancel}. One `run()` at a time per
   * instance: to lead again, call it again.
   *
   * @example
   * ```ts
   * import type { Election } from "@zk/client";
   * declare const election: Election;
   * declare function doLeaderWork(leadership: AbortSignal): Promise<void>;
   * await election.run(async (leadership) => {
   *   while (!leadership.aborted) await doLeaderWork(leadership);
   * });
   * ```
   */
  async run(
    fn: (leadership: AbortSignal) => void | Promise<void>,
    options: ElectionRunOptions = {},
  ): Promise<void> {
    if (typeof fn !== "function") throw new BadArgumentsError("the leader function is missing");
    const cancel = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, cancel.signal])
      : cancel.signal;
    this.#cancel = cancel;
    try {
      let handle;
      try {
        handle = await this.#lock.acquire({ signal });
      } catch (error) {
        if (cancel.signal.aborted && error === cancel.signal.reason) return;
        throw error;
      }
      try {
        await fn(AbortSignal.any([handle.signal, signal]));
      } finally {
        // A leader cut off from the ensemble must not wait for it to step
        // down: the delete goes on in the background (or dies with the session).
        await whileConnected(this.#zk, handle.release().catch(() => {}));
      }
    } finally {
      if (this.#cancel === cancel) this.#cancel = undefined;
    }
  }

  /**
   * Leaves the election: a waiting `run()` resolves without leading; a
   * running leader's signal aborts (kazoo leaves its leader running).
   */
  cancel(): void {
    this.#cancel?.abort(new DOMException(`left the election at ${this.path}`, "AbortError"));
  }

  /** The contenders' identifiers, the leader first (kazoo's `contenders()`). */
  contenders(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#lock.contenders(options);
  }
}

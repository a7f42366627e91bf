/**
 * Curator's `InterProcessSemaphoreV2`, znode for znode: at most `maxLeases`
 * leases at a time among Curator and @zk/client processes sharing a path.
 *
 * Layout: `{path}/locks/` is an {@linkcode InterProcessMutex} that lets one
 * acquirer at a time in; `{path}/leases/_c_<uuid>-lease-<seq>` is one
 * protected ephemeral-sequential node per lease. The acquirer inside the
 * mutex creates its lease node, and holds a lease once `leases/` has at most
 * `maxLeases` children (every child counts); otherwise it waits, still
 * holding the mutex, for a lease to go.
 *
 * Like Curator, the limit is not kept in ZooKeeper: it is given to each
 * client, or read from a `SharedCount` node (a 4-byte big-endian int).
 *
 * @example
 * ```ts
 * import { InterProcessSemaphoreV2 } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function runExport(...args: unknown[]): Promise<void>;
 * const semaphore = new InterProcessSemaphoreV2(zk, "/limits/exports", { maxLeases: 3 });
 * {
 *   await using lease = await semaphore.acquire({ timeout: 30_000 });
 *   await runExport({ signal: lease.signal });
 * }
 * ```
 *
 * @module
 */

import type { Data, ZooKeeperClientCore } from "../../lib/core.ts";
import { throwIfAborted } from "../../lib/abort.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import { ForceRetryError } from "../../lib/retry.ts";
import {
  type ContenderNode,
  Holder,
  isStale,
  type LockHandle,
  retryUntil,
  SessionWakeup,
} from "../internal/contenders.ts";
import { childrenOrEmpty } from "../internal/tolerant.ts";
import { forgetWatcher } from "../internal/wakeup.ts";
import { InterProcessMutex } from "./mutex.ts";
import { CuratorProtectedCreate } from "./internal/protected_create.ts";

/** Where a semaphore's limit comes from: Curator's `SharedCountReader`. */
export interface SharedCountSource {
  /** A node holding the limit as a 4-byte big-endian int (Curator's `SharedCount`). */
  countPath: string;
}

/** Options of the {@linkcode InterProcessSemaphoreV2} constructor. */
export interface InterProcessSemaphoreV2Options {
  /**
   * The number of leases: a positive integer, or `{ countPath }` to follow a
   * `SharedCount` node (read at every check, so a change applies to waiters).
   */
  maxLeases: number | SharedCountSource;
  /**
   * Each lease node's data (Curator's `setNodeData`). Curator stores its
   * host's address by default. Default: empty.
   */
  data?: Data;
}

/** Options of {@linkcode InterProcessSemaphoreV2.acquire}. */
export interface SemaphoreV2AcquireOptions {
  /** Aborting gives up: `acquire()` rejects with `signal.reason`, leaving no node behind. */
  signal?: AbortSignal;
  /** Give up after this many ms with a {@linkcode LockTimeoutError}. Default: wait forever. */
  timeout?: number;
}

const encoder = new TextEncoder();

/**
 * A counting semaphore on `path`, compatible with Curator's
 * `InterProcessSemaphoreV2` (and `InterProcessSemaphoreMutex`, which is one
 * with a single lease). An instance may hold several leases; each is a
 * {@linkcode LockHandle} released on its own.
 *
 * @example
 * ```ts
 * import { InterProcessSemaphoreV2 } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function copyTables(...args: unknown[]): Promise<void>;
 * const semaphore = new InterProcessSemaphoreV2(zk, "/limits/db", {
 *   maxLeases: { countPath: "/limits/db-max" }, // a Curator SharedCount
 * });
 * const leases = await semaphore.acquireMany(2, { signal: AbortSignal.timeout(10_000) });
 * try {
 *   await copyTables(leases[0].signal);
 * } finally {
 *   await Promise.all(leases.map((lease) => lease.release()));
 * }
 * ```
 */
export class InterProcessSemaphoreV2 {
  /** The semaphore's node (parent of `locks/` and `leases/`). */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #leases: string;
  readonly #locks: string;
  readonly #maxLeases: number | SharedCountSource;
  readonly #data: Uint8Array;

  /**
   * Describes the semaphore; nothing is sent until `acquire()`.
   *
   * @param zk The client.
   * @param path The semaphore's path (created as containers when missing).
   */
  constructor(zk: ZooKeeperClientCore, path: string, options: InterProcessSemaphoreV2Options) {
    validatePath(path);
    const max = options?.maxLeases;
    if (typeof max === "number") {
      if (!Number.isInteger(max) || max < 1) {
        throw new BadArgumentsError(`maxLeases must be an integer >= 1, not ${max}`);
      }
    } else if (typeof max?.countPath === "string") {
      validatePath(max.countPath);
    } else {
      throw new BadArgumentsError("maxLeases must be a number or { countPath }");
    }
    const data = options.data ?? new Uint8Array();
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new BadArgumentsError("a lease's data must be a string or a Uint8Array");
    }
    this.#zk = zk;
    this.path = path;
    this.#leases = joinPath(path, "leases");
    this.#locks = joinPath(path, "locks");
    this.#maxLeases = typeof max === "number" ? max : { countPath: max.countPath };
    this.#data = typeof data === "string" ? encoder.encode(data) : data;
  }

  /**
   * Waits for one lease and resolves with its handle. Rejects with
   * `signal.reason` when `signal` aborts and {@linkcode LockTimeoutError}
   * after `timeout` ms; a failed attempt deletes its lease node.
   *
   * @example
   * ```ts
   * import type { InterProcessSemaphoreV2 } from "@zk/client/curator";
   * declare const semaphore: InterProcessSemaphoreV2;
   * await using lease = await semaphore.acquire({ timeout: 5_000 });
   * ```
   */
  acquire(options: SemaphoreV2AcquireOptions = {}): Promise<LockHandle> {
    const creator = new CuratorProtectedCreate(this.#zk, this.#leases, "lease-", this.#data);
    return new Holder(this.#zk, "semaphore", this.path).acquire(
      options,
      (signal) => this.#takeLease(creator, signal),
      () => creator.cleanup(),
    ) as Promise<LockHandle>;
  }

  /**
   * Waits for `qty` leases, one after another, and resolves with all of
   * them; if one fails, those already taken are returned first.
   *
   * @example
   * ```ts
   * import type { InterProcessSemaphoreV2 } from "@zk/client/curator";
   * declare const semaphore: InterProcessSemaphoreV2;
   * const [a, b] = await semaphore.acquireMany(2);
   * ```
   */
  async acquireMany(qty: number, options: SemaphoreV2AcquireOptions = {}): Promise<LockHandle[]> {
    if (!Number.isInteger(qty) || qty < 1) {
      throw new BadArgumentsError(`qty must be an integer >= 1, not ${qty}`);
    }
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const leases: LockHandle[] = [];
    try {
      while (leases.length < qty) {
        const timeout = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
        leases.push(await this.acquire({ signal: options.signal, timeout }));
      }
      return leases;
    } catch (error) {
      await Promise.all(leases.map((lease) => lease.release().catch(() => {})));
      throw error;
    }
  }

  /**
   * The names of the nodes under `leases/`, unsorted, a waiter's included
   * (Curator's `getParticipantNodes()`).
   */
  participantNodes(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return childrenOrEmpty(this.#zk, this.#leases, options.signal);
  }

  /** The limit now: the given number, or the `SharedCount` read with a watch. */
  async #limit(wake: SessionWakeup, signal: AbortSignal): Promise<number> {
    if (typeof this.#maxLeases === "number") return this.#maxLeases;
    const { countPath } = this.#maxLeases;
    const { data } = await this.#zk.get(countPath, { watch: wake.watcher, signal });
    if (data.length < 4) {
      throw new BadArgumentsError(
        `${countPath} holds ${data.length} bytes, not a SharedCount's 4-byte int`,
        { path: countPath },
      );
    }
    return new DataView(data.buffer, data.byteOffset, 4).getInt32(0);
  }

  /** Inside the `locks/` mutex: queue our lease node and wait until it counts among the first `maxLeases`. */
  #takeLease(creator: CuratorProtectedCreate, signal: AbortSignal): Promise<ContenderNode> {
    return retryUntil(async () => {
      // One mutex instance per attempt: concurrent acquires of this
      // semaphore must queue as separate owners, not re-enter.
      await using _entry = await new InterProcessMutex(this.#zk, this.#locks).acquire({ signal });
      const node = await creator.create(signal);
      while (true) {
        throwIfAborted(signal);
        using wake = new SessionWakeup(this.#zk);
        let limit: number;
        let children: string[];
        try {
          children = await this.#zk.getChildren(this.#leases, { watch: wake.watcher, signal });
          limit = await this.#limit(wake, signal);
          if (!children.includes(node.name) || isStale(this.#zk, node)) {
            throw new ForceRetryError("our lease node is gone (session expired?)");
          }
          if (children.length <= limit) return node;
          await wake.wait(signal);
        } finally {
          // Whichever watch fired, the other one is still registered.
          await forgetWatcher(this.#zk, this.#leases, wake.watcher, "children");
          if (typeof this.#maxLeases !== "number") {
            await forgetWatcher(this.#zk, this.#maxLeases.countPath, wake.watcher, "data");
          }
        }
      }
    }, signal);
  }
}

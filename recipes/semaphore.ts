/**
 * A counting semaphore with kazoo's znode layout, so kazoo processes and
 * this client share the same leases:
 *
 * - `{path}` holds the lease limit as ASCII data (`"3"`);
 * - each holder has an ephemeral child `{path}/{uuid4hex}` with its identifier;
 * - a sibling lock `{path}-__lock__` (kazoo's `Lock`) serialises the hand-out,
 *   and only its holder watches `{path}`'s children, so waiters make no herd.
 *
 * @example
 * ```ts
 * import { Semaphore, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function train(options: { signal: AbortSignal }): Promise<void>;
 * const semaphore = new Semaphore(zk, "/pools/gpu", "worker-7", 4);
 * await using lease = await semaphore.acquire({ timeout: 30_000 });
 * await train({ signal: lease.signal });
 * ```
 *
 * @module
 */

import { childrenOrEmpty, readTexts } from "./internal/tolerant.ts";
import { inspectOwn } from "./internal/owned.ts";
import type { OwnershipPolicy, ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  ConfigurationError,
  NodeExistsError,
  NoNodeError,
} from "../lib/errors.ts";
import { joinPath, validatePath } from "../lib/paths.ts";
import { ForceRetryError } from "../lib/retry.ts";
import { throwIfAborted } from "../lib/abort.ts";
import type { Stat } from "../lib/types.ts";
import {
  type ContenderNode,
  Holder,
  type LockHandle,
  retryUntil,
  SessionWakeup,
  whileConnected,
} from "./internal/contenders.ts";
import { deleteRetried } from "./internal/tolerant.ts";
import { forgetWatcher } from "./internal/wakeup.ts";
import { Lock, LockReentryError } from "./lock.ts";

/** Options of the {@linkcode Semaphore} constructor. */
export interface SemaphoreOptions {
  /**
   * When a lease's signal aborts: `"suspended"` (at SUSPENDED or LOST) or
   * `"lost"` (at LOST only). Default: the client's `ownershipPolicy`.
   */
  ownershipPolicy?: OwnershipPolicy;
}

/** Options of {@linkcode Semaphore.acquire}. */
export interface SemaphoreAcquireOptions {
  /** Aborting gives up: `acquire()` rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Give up after this many ms with a {@linkcode LockTimeoutError}. Default: wait forever. */
  timeout?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// What Python's int() accepts, less the digit separators.
const INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * A semaphore on `path` handing out at most `maxLeases` leases at a time,
 * compatible with kazoo's `Semaphore`. The limit is stored on `path` by the
 * first user; an instance with another limit fails with
 * {@linkcode ConfigurationError} (kazoo: `ValueError`). Delete the node to
 * change the limit. Not reentrant: see {@linkcode LockReentryError}.
 *
 * @example
 * ```ts
 * import { Semaphore, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const signal: AbortSignal;
 * declare function query(): Promise<void>;
 * const semaphore = new Semaphore(zk, "/pools/db", "api-1", 10);
 * const lease = await semaphore.acquire({ signal });
 * try {
 *   await query();
 * } finally {
 *   await lease.release();
 * }
 * console.log(await semaphore.leaseHolders());
 * ```
 */
export class Semaphore {
  /** The semaphore's node: leases are its children. */
  readonly path: string;
  /** This holder's identifier, stored as its lease's data. */
  readonly identifier: string;
  /** How many leases may be held at once. */
  readonly maxLeases: number;
  readonly #zk: ZooKeeperClientCore;
  readonly #holder: Holder;
  #limitChecked = false;

  /**
   * Describes the semaphore; nothing is sent until `acquire()`.
   *
   * @param zk The client.
   * @param path The semaphore's path (created with parents when missing).
   * @param identifier What `leaseHolders()` reports for this holder (default `""`).
   * @param maxLeases The lease limit, a positive integer (default 1).
   */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    identifier = "",
    maxLeases = 1,
    options: SemaphoreOptions = {},
  ) {
    validatePath(path);
    if (path === "/") throw new BadArgumentsError("a semaphore cannot live at /");
    if (!Number.isInteger(maxLeases) || maxLeases < 1) {
      throw new BadArgumentsError(`maxLeases must be a positive integer, not ${maxLeases}`);
    }
    this.#zk = zk;
    this.path = path;
    this.identifier = identifier;
    this.maxLeases = maxLeases;
    this.#holder = new Holder(zk, "semaphore", path, options.ownershipPolicy);
  }

  /** True while this instance holds a lease. */
  get isAcquired(): boolean {
    return this.#holder.isAcquired;
  }

  /**
   * Waits for a lease and resolves with its handle. Rejects with
   * `signal.reason`, {@linkcode LockTimeoutError} after `timeout` ms, an
   * `AbortError` after {@linkcode Semaphore.cancel}, {@linkcode ConfigurationError}
   * when the stored limit differs from `maxLeases`, and
   * {@linkcode LockReentryError} when this instance holds or is acquiring a lease.
   *
   * @example
   * ```ts
   * import type { Semaphore } from "@zk/client";
   * declare const semaphore: Semaphore;
   * await using lease = await semaphore.acquire({ timeout: 5_000 });
   * ```
   */
  acquire(options: SemaphoreAcquireOptions = {}): Promise<LockHandle> {
    return this.#acquire(true, options) as Promise<LockHandle>;
  }

  /**
   * Takes a lease only if one is free right now (waiting only for the short
   * hand-out lock): a handle, or `null`.
   *
   * @example
   * ```ts
   * import type { Semaphore } from "@zk/client";
   * declare const semaphore: Semaphore;
   * const lease = await semaphore.tryAcquire();
   * if (lease === null) console.log("all leases taken");
   * ```
   */
  tryAcquire(options: { signal?: AbortSignal } = {}): Promise<LockHandle | null> {
    return this.#acquire(false, options);
  }

  /** Makes a pending `acquire()` of this instance reject (with an `AbortError`). */
  cancel(): void {
    this.#holder.cancel();
  }

  /** Releases the lease this instance holds, if any. */
  release(): Promise<void> {
    return this.#holder.release();
  }

  /** The identifiers of the current lease holders, unordered (kazoo's `lease_holders()`). */
  async leaseHolders(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const children = await childrenOrEmpty(this.#zk, this.path, options.signal);
    return await readTexts(this.#zk, this.path, children, options);
  }

  /** Creates `path` with the limit, or checks the limit stored there (kazoo ignores non-numbers). */
  async #checkLimit(signal: AbortSignal): Promise<void> {
    if (this.#limitChecked) return;
    try {
      await this.#zk.create(this.path, String(this.maxLeases), { makeParents: true, signal });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      const text = decoder.decode((await this.#zk.get(this.path, { signal })).data);
      if (INTEGER.test(text) && Number.parseInt(text, 10) !== this.maxLeases) {
        throw new ConfigurationError(
          `inconsistent max leases: ${text.trim()} stored, ${this.maxLeases} expected`,
          { path: this.path },
        );
      }
    }
    this.#limitChecked = true;
  }

  async #acquire(
    blocking: boolean,
    options: SemaphoreAcquireOptions,
  ): Promise<LockHandle | null> {
    if (this.isAcquired) {
      throw new LockReentryError("this Semaphore instance holds a lease already", this.path);
    }
    if (this.#holder.acquiring) {
      throw new LockReentryError("this Semaphore instance is acquiring a lease already", this.path);
    }
    const name = crypto.randomUUID().replaceAll("-", "");
    const leasePath = joinPath(this.path, name);
    return await this.#holder.acquire(
      options,
      (signal) => retryUntil(() => this.#attempt(blocking, name, leasePath, signal), signal),
      // The create may have happened just before the abort.
      () => deleteRetried(this.#zk, leasePath, { ephemeral: true }).then(() => {}, () => {}),
    );
  }

  /** One pass from the top: limit, hand-out lock, then a free lease or a wait. */
  async #attempt(
    blocking: boolean,
    name: string,
    leasePath: string,
    signal: AbortSignal,
  ): Promise<ContenderNode | null> {
    await this.#checkLimit(signal);
    const mutex = new Lock(this.#zk, `${this.path}-__lock__`, this.identifier);
    const turn = blocking ? await mutex.acquire({ signal }) : await mutex.tryAcquire({ signal });
    if (turn === null) return null;
    const session = this.#zk.sessionId;
    try {
      while (true) {
        throwIfAborted(signal);
        // After an expiry the hand-out lock is gone: someone else may be handing out.
        if (this.#zk.sessionId !== session || turn.signal.reason instanceof NoNodeError) {
          throw new ForceRetryError("lost the semaphore's hand-out lock");
        }
        using wake = new SessionWakeup(this.#zk);
        try {
          const children = await this.#zk.getChildren(this.path, { watch: wake.watcher, signal });
          if (children.includes(name) || children.length < this.maxLeases) {
            const lease = await this.#claim(name, leasePath, signal);
            if (lease) return lease;
            continue;
          }
          if (!blocking) return null;
          await wake.wait(signal);
        } finally {
          if (!wake.watchFired) await forgetWatcher(this.#zk, this.path, wake.watcher, "children");
        }
      }
    } finally {
      await whileConnected(this.#zk, turn.release().catch(() => {}));
    }
  }

  /** Creates our lease node, or adopts it if an earlier try made it in this session. */
  async #claim(
    name: string,
    leasePath: string,
    signal: AbortSignal,
  ): Promise<ContenderNode | undefined> {
    let stat: Stat;
    try {
      stat = (await this.#zk.create(leasePath, encoder.encode(this.identifier), {
        ephemeral: true,
        includeStat: true,
        signal,
      })).stat;
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      // Made by our older session: deleted, and we look again (with the
      // hand-out lock of the current session) rather than re-create it here.
      const own = await inspectOwn(this.#zk, leasePath, { signal });
      if (own.state !== "current") return undefined;
      stat = own.stat;
    }
    return {
      name,
      path: leasePath,
      sequence: 0,
      session: stat.ephemeralOwner,
      czxid: stat.czxid,
      ephemeral: true,
    };
  }
}

/**
 * Curator's `InterProcessMutex`, znode for znode, so a Java service holding
 * Curator's lock and a TypeScript service holding this one exclude each other
 * on the same path.
 *
 * Each contender is a protected ephemeral-sequential node
 * `{path}/_c_<uuid>-lock-<seq>` (container parents); contenders are ordered
 * by the text after `lock-`, the first holds, and each waiter watches only
 * the node just before it. Acquiring gives a {@linkcode LockHandle} like the
 * kazoo-style {@linkcode Lock}'s: `release()`, `await using`, and a `signal`
 * that aborts when the lock may no longer be ours.
 *
 * @example
 * ```ts
 * import { InterProcessMutex } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function settleOrders(...args: unknown[]): Promise<void>;
 * const mutex = new InterProcessMutex(zk, "/locks/orders");
 * {
 *   await using lock = await mutex.acquire({ timeout: 10_000 });
 *   await settleOrders({ signal: lock.signal });
 * } // released here
 * ```
 *
 * @module
 */

import type { Data, ZooKeeperClientCore } from "../../lib/core.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import { Holder, type LockHandle, whileConnected } from "../internal/contenders.ts";
import { childrenOrEmpty } from "../internal/tolerant.ts";
import { LockReentryError } from "../lock.ts";
import {
  contend,
  type LockPredicate,
  type PredicateResult,
  sortChildren,
  standardPredicate,
} from "./internal/lock_internals.ts";
import { CuratorProtectedCreate } from "./internal/protected_create.ts";

export type { LockHandle } from "../internal/contenders.ts";
export type { PredicateResult } from "./internal/lock_internals.ts";

/** Options of the {@linkcode InterProcessMutex} constructor. */
export interface InterProcessMutexOptions {
  /**
   * The contender node's data. Curator stores its host's address there (or
   * nothing, for a revocable lock); no lock reads it, so it is free for an
   * identifier. Default: empty.
   */
  data?: Data;
}

/** Options of {@linkcode InterProcessMutex.acquire}. */
export interface MutexAcquireOptions {
  /** Aborting gives up: `acquire()` rejects with `signal.reason`, leaving no node behind. */
  signal?: AbortSignal;
  /** Give up after this many ms with a {@linkcode LockTimeoutError}. Default: wait forever. */
  timeout?: number;
}

const encoder = new TextEncoder();
const standard: LockPredicate = standardPredicate(1);

/**
 * A handle on a re-entered hold: it shares the first hold's node, and the
 * node is deleted when the last hold of the instance is released.
 */
class Reentry implements LockHandle {
  readonly #inner: LockHandle;
  readonly #done: () => Promise<void>;
  #release: Promise<void> | undefined;

  constructor(inner: LockHandle, done: () => Promise<void>) {
    this.#inner = inner;
    this.#done = done;
  }
  get path(): string {
    return this.#inner.path;
  }
  get czxid(): bigint {
    return this.#inner.czxid;
  }
  get signal(): AbortSignal {
    return this.#inner.signal;
  }
  get released(): boolean {
    return this.#release !== undefined;
  }
  release(): Promise<void> {
    this.#release ??= this.#done();
    return this.#release;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/**
 * Curator's re-entrant distributed mutex on `path`.
 *
 * - FIFO, each waiter watching only its predecessor (no herd).
 * - Re-entrant per instance, as Curator's is per thread: `acquire()` on an
 *   instance that holds the lock resolves at once with another handle on the
 *   same node, and the node goes when every handle is released. Give each
 *   concurrent task its own instance: an instance is one owner.
 * - A create retried after a connection loss adopts its own node (Curator's
 *   protected mode); after a session expiry a waiter queues again.
 *
 * @example
 * ```ts
 * import { InterProcessMutex } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function migrate(...args: unknown[]): Promise<void>;
 * const mutex = new InterProcessMutex(zk, "/locks/db", { data: "host-a" });
 * const lock = await mutex.acquire({ signal: AbortSignal.timeout(5_000) });
 * try {
 *   await using again = await mutex.acquire(); // re-entered: same node
 *   await migrate(lock.signal);
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export class InterProcessMutex {
  /** The lock's node: contenders are its children. */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #data: Uint8Array;
  readonly #holder: Holder;
  #held: LockHandle | undefined;
  #holds = 0;

  /**
   * Describes the lock; nothing is sent until `acquire()`.
   *
   * @param zk The client.
   * @param path The lock's path (created as a container, with container parents, when missing).
   */
  constructor(zk: ZooKeeperClientCore, path: string, options: InterProcessMutexOptions = {}) {
    validatePath(path);
    const data = options.data ?? new Uint8Array();
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new BadArgumentsError("a lock's data must be a string or a Uint8Array");
    }
    this.#zk = zk;
    this.path = path;
    this.#data = typeof data === "string" ? encoder.encode(data) : data;
    this.#holder = new Holder(zk, "lock", path);
  }

  /** The name in this kind of contender's node (`lock-`). */
  protected get lockName(): string {
    return "lock-";
  }

  /** The names children are sorted by (`[lockName]`). */
  protected get sortNames(): readonly string[] {
    return [this.lockName];
  }

  /** Whether our index in the sorted children holds the lock (the first one does). */
  protected predicate(sorted: readonly string[], ourIndex: number): PredicateResult {
    return standard(sorted, ourIndex);
  }

  /** Whether `participantNodes()` lists the child `name` (all children, for the mutex). */
  protected isParticipant(_name: string): boolean {
    return true;
  }

  /** True while this instance holds the lock (Curator's `isAcquiredInThisProcess()`). */
  get isAcquired(): boolean {
    return this.#held !== undefined && !this.#held.released;
  }

  /**
   * Waits for the lock and resolves with a handle. Rejects with
   * `signal.reason` when `signal` aborts, {@linkcode LockTimeoutError} after
   * `timeout` ms, and {@linkcode LockReentryError} while this instance is
   * still acquiring. On an instance that holds the lock, resolves at once
   * (re-entry). A failed or abandoned attempt deletes its node.
   *
   * @example
   * ```ts
   * import type { InterProcessMutex } from "@zk/client/curator";
   * declare const mutex: InterProcessMutex;
   * await using lock = await mutex.acquire({ timeout: 2_000 });
   * ```
   */
  acquire(options: MutexAcquireOptions = {}): Promise<LockHandle> {
    return this.#acquire(true, options) as Promise<LockHandle>;
  }

  /**
   * Takes the lock only if it is free now (or re-enters it): a handle, or
   * `null` (its node removed again) when it would have to wait.
   *
   * @example
   * ```ts
   * import type { InterProcessMutex } from "@zk/client/curator";
   * declare const mutex: InterProcessMutex;
   * const lock = await mutex.tryAcquire();
   * if (lock) await lock.release();
   * ```
   */
  tryAcquire(options: { signal?: AbortSignal } = {}): Promise<LockHandle | null> {
    return this.#acquire(false, options);
  }

  /** Releases one hold of this instance (the latest handle's), if it holds any. */
  release(): Promise<void> {
    return this.#held === undefined ? Promise.resolve() : this.#releaseOne();
  }

  /** Makes a pending `acquire()` of this instance reject (with an `AbortError`). */
  cancel(): void {
    this.#holder.cancel();
  }

  /**
   * The full paths of the contenders' nodes in queue order, the holder
   * first (Curator's `getParticipantNodes()`). Empty if the lock's node does
   * not exist.
   */
  async participantNodes(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const children = await childrenOrEmpty(this.#zk, this.path, options.signal);
    return sortChildren(children, this.sortNames)
      .filter((name) => this.isParticipant(name))
      .map((name) => joinPath(this.path, name));
  }

  async #acquire(blocking: boolean, options: MutexAcquireOptions): Promise<LockHandle | null> {
    options.signal?.throwIfAborted();
    if (this.isAcquired) {
      const held = this.#held!;
      this.#holds++;
      return new Reentry(held, () => this.#releaseOne(held));
    }
    if (this.#holder.acquiring) {
      throw new LockReentryError(
        "this InterProcessMutex instance is acquiring the lock already; " +
          "use one instance per concurrent task",
        this.path,
      );
    }
    const creator = new CuratorProtectedCreate(this.#zk, this.path, this.lockName, this.#data);
    const driver = {
      dir: this.path,
      lockNames: this.sortNames,
      predicate: (sorted: readonly string[], ourIndex: number) => this.predicate(sorted, ourIndex),
    };
    const handle = await this.#holder.acquire(
      options,
      (signal) => contend(this.#zk, driver, creator, blocking, signal),
      () => creator.cleanup(),
    );
    if (handle === null) {
      await whileConnected(this.#zk, creator.cleanup());
      return null;
    }
    this.#held = handle;
    this.#holds = 1;
    return new Reentry(handle, () => this.#releaseOne(handle));
  }

  /** Ends one hold of `held`; a handle of an earlier, finished hold changes nothing. */
  #releaseOne(held: LockHandle | undefined = this.#held): Promise<void> {
    if (held === undefined || held !== this.#held) return Promise.resolve();
    if (--this.#holds > 0) return Promise.resolve();
    this.#held = undefined;
    return held.release();
  }
}

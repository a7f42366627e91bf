/**
 * Distributed locks with kazoo's znode layout, so a kazoo process and this
 * client exclude each other on the same path: {@linkcode Lock} (exclusive),
 * and {@linkcode ReadLock} / {@linkcode WriteLock} (shared / exclusive sides
 * of one read-write lock).
 *
 * Each contender creates an ephemeral sequential node
 * `{path}/{uuid4hex}__lock__{seq}` (`__rlock__` for readers) holding its
 * identifier, and waits for the one conflicting contender just below it to
 * go. Unlike kazoo, acquiring gives you a {@linkcode LockHandle} whose
 * `signal` tells you when the lock may no longer be yours.
 *
 * @example
 * ```ts
 * import { connect, Lock } from "@zk/client";
 * declare function buildReport(options: { signal: AbortSignal }): Promise<void>;
 * await using zk = await connect("127.0.0.1:2181");
 * const lock = new Lock(zk, "/locks/report", "worker-1");
 * {
 *   await using handle = await lock.acquire({ timeout: 10_000 });
 *   await buildReport({ signal: handle.signal });
 * } // released here
 * ```
 *
 * @module
 */

import { childrenOrEmpty, readTexts } from "./internal/tolerant.ts";
import type { OwnershipPolicy, ZooKeeperClientCore } from "../lib/core.ts";
import { BadArgumentsError } from "../lib/errors.ts";
import { joinPath, validatePath } from "../lib/paths.ts";
import { ForceRetryError } from "../lib/retry.ts";
import { throwIfAborted } from "../lib/abort.ts";
import {
  type ContenderNode,
  contenderPattern,
  Holder,
  isStale,
  type LockHandle,
  predecessor,
  ProtectedCreate,
  retryUntil,
  sortContenders,
  waitForDeletion,
  whileConnected,
} from "./internal/contenders.ts";

export type { LockHandle } from "./internal/contenders.ts";

/** Options of the {@linkcode Lock} constructor (and its read/write kin). */
export interface LockOptions {
  /**
   * More name markers that count as conflicting contenders, as literal text
   * (kazoo's `extra_lock_patterns`), e.g. `"-lock-"` for go-zookeeper's
   * nodes. Default none.
   */
  extraLockPatterns?: readonly string[];
  /**
   * When the handle's signal aborts: `"suspended"` (at SUSPENDED or LOST) or
   * `"lost"` (at LOST only). Default: the client's `ownershipPolicy`.
   */
  ownershipPolicy?: OwnershipPolicy;
}

/** Options of {@linkcode Lock.acquire}. */
export interface AcquireOptions {
  /** Aborting gives up: `acquire()` rejects with `signal.reason`, leaving no node behind. */
  signal?: AbortSignal;
  /** Give up after this many ms with a {@linkcode LockTimeoutError}. Default: wait forever. */
  timeout?: number;
  /**
   * Whether the contender node is ephemeral (default true). A persistent one
   * survives the session: the lock then stays held after a crash until
   * someone deletes the node.
   */
  ephemeral?: boolean;
}

/** Options of {@linkcode Lock.tryAcquire}. */
export interface TryAcquireOptions {
  /** Aborting gives up; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Whether the contender node is ephemeral (default true). */
  ephemeral?: boolean;
}

/**
 * Thrown by `acquire()` on a lock instance that already holds the lock, or
 * is already acquiring it. These locks are not reentrant (kazoo's are not
 * either): release the handle first, or use another instance.
 *
 * @example
 * ```ts
 * import { Lock, LockReentryError, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const lock = new Lock(zk, "/locks/a");
 * const handle = await lock.acquire();
 * try {
 *   await lock.acquire();
 * } catch (e) {
 *   if (e instanceof LockReentryError) console.log("held already:", e.path);
 * }
 * ```
 */
export class LockReentryError extends BadArgumentsError {
  /** Makes the error for the lock at `path` (a {@linkcode BadArgumentsError}, with `path`). */
  constructor(message: string, path: string) {
    super(message, { path });
  }
}

const encoder = new TextEncoder();

/**
 * An exclusive lock on `path`, compatible with kazoo's `Lock`.
 *
 * - FIFO: contenders get the lock in the order they asked for it.
 * - Each waiter watches only the contender just before it (no herd).
 * - A create retried after a connection loss adopts its own node instead
 *   of leaving an orphan; nodes of an older session are deleted.
 * - After a session expiry, a waiter starts over with a new node.
 * - Not reentrant: a second `acquire()` on a held instance throws
 *   {@linkcode LockReentryError} (kazoo's blocks forever instead).
 *
 * @example
 * ```ts
 * import { Lock, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function work(signal: AbortSignal): Promise<void>;
 * const lock = new Lock(zk, "/locks/db", "host-a");
 * const handle = await lock.acquire({ signal: AbortSignal.timeout(5_000) });
 * try {
 *   await work(handle.signal);
 * } finally {
 *   await handle.release();
 * }
 * ```
 */
export class Lock {
  /** The lock's node: contenders are its children. */
  readonly path: string;
  /** This contender's identifier, stored as its node's data. */
  readonly identifier: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #extra: readonly string[];
  readonly #holder: Holder;

  /**
   * Describes the lock; nothing is sent until `acquire()`.
   *
   * @param zk The client.
   * @param path The lock's path (created with parents when missing).
   * @param identifier What `contenders()` reports for this contender (default `""`).
   */
  constructor(zk: ZooKeeperClientCore, path: string, identifier = "", options: LockOptions = {}) {
    validatePath(path);
    if (typeof identifier !== "string") {
      throw new BadArgumentsError("a lock identifier must be a string");
    }
    this.#zk = zk;
    this.path = path;
    this.identifier = identifier;
    this.#extra = [...(options.extraLockPatterns ?? [])];
    this.#holder = new Holder(zk, "lock", path, options.ownershipPolicy);
  }

  /** The marker in this kind of contender's node name (`__lock__`). */
  protected get nodeName(): string {
    return "__lock__";
  }

  /** The markers of the contenders this kind waits for (`__lock__`). */
  protected get conflictNames(): readonly string[] {
    return ["__lock__"];
  }

  /** True while this instance holds the lock (acquired and not yet released). */
  get isAcquired(): boolean {
    return this.#holder.isAcquired;
  }

  /**
   * Waits for the lock and resolves with its handle. Rejects with
   * `signal.reason` when `signal` aborts, {@linkcode LockTimeoutError} after
   * `timeout` ms, a `DOMException` named `AbortError` after
   * {@linkcode Lock.cancel}, and {@linkcode LockReentryError} if this
   * instance holds or is acquiring the lock. A failed or abandoned attempt
   * deletes its node (awaited while connected, in the background otherwise).
   * Connection loss is ridden out; after a session expiry the attempt starts
   * over with a new node.
   *
   * @example
   * ```ts
   * import type { Lock } from "@zk/client";
   * declare const lock: Lock;
   * const handle = await lock.acquire({ timeout: 2_000 });
   * ```
   */
  acquire(options: AcquireOptions = {}): Promise<LockHandle> {
    return this.#acquire(true, options) as Promise<LockHandle>;
  }

  /**
   * Takes the lock only if nobody holds it or waits for it: resolves with a
   * handle, or `null` (its node removed again) when it would have to wait.
   *
   * @example
   * ```ts
   * import type { Lock } from "@zk/client";
   * declare const lock: Lock;
   * const handle = await lock.tryAcquire();
   * if (handle) {
   *   await using held = handle; // released at the end of the block
   * }
   * ```
   */
  tryAcquire(options: TryAcquireOptions = {}): Promise<LockHandle | null> {
    return this.#acquire(false, options);
  }

  /** Makes a pending `acquire()` of this instance reject (with an `AbortError`). */
  cancel(): void {
    this.#holder.cancel();
  }

  /**
   * Releases the lock this instance holds, if any (same as the handle's
   * `release()`).
   */
  release(): Promise<void> {
    return this.#holder.release();
  }

  /**
   * The identifiers of the current contenders, the holder first, in queue
   * order (kazoo's `contenders()`; an empty string for a contender without
   * one). For a read-write lock this lists readers and writers. Empty if
   * the lock's node does not exist.
   */
  async contenders(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const children = await childrenOrEmpty(this.#zk, this.path, options.signal);
    const pattern = contenderPattern([...new Set([this.nodeName, ...this.#conflicts()])]);
    const ordered = sortContenders(children, pattern).map(({ name }) => name);
    return await readTexts(this.#zk, this.path, ordered, options);
  }

  #conflicts(): string[] {
    return [...this.conflictNames, ...this.#extra];
  }

  async #acquire(
    blocking: boolean,
    options: AcquireOptions,
  ): Promise<LockHandle | null> {
    if (this.isAcquired) {
      throw new LockReentryError(
        "this Lock instance holds the lock already; release its handle first",
        this.path,
      );
    }
    if (this.#holder.acquiring) {
      throw new LockReentryError("this Lock instance is acquiring the lock already", this.path);
    }
    const creator = new ProtectedCreate(
      this.#zk,
      this.path,
      this.nodeName,
      encoder.encode(this.identifier),
      options.ephemeral ?? true,
    );
    const handle = await this.#holder.acquire(
      options,
      (signal) => this.#contend(blocking, creator, signal),
      () => creator.cleanup(),
    );
    // tryAcquire() would have to wait: take our node out of the queue again.
    if (handle === null) await whileConnected(this.#zk, creator.cleanup());
    return handle;
  }

  /** Queues our node and waits until no conflicting node is before it; `null` instead of waiting. */
  #contend(
    blocking: boolean,
    creator: ProtectedCreate,
    signal: AbortSignal,
  ): Promise<ContenderNode | null> {
    const conflicts = contenderPattern(this.#conflicts());
    let node: ContenderNode | undefined;
    return retryUntil(async () => {
      if (node && isStale(this.#zk, node)) {
        // Ours from an expired session: it dies with it; help it along.
        await this.#zk.delete(node.path).catch(() => {});
        node = undefined;
      }
      node ??= await creator.create(signal);
      const own = node;
      while (true) {
        throwIfAborted(signal);
        const children = await this.#zk.getChildren(this.path, { signal });
        if (!children.includes(own.name)) {
          node = undefined;
          throw new ForceRetryError("our contender node is gone (session expired?)");
        }
        const before = predecessor(children, own, conflicts);
        if (before === undefined) {
          // Not ours to keep if the client has moved on to a new session.
          if (isStale(this.#zk, own)) throw new ForceRetryError("the session changed");
          return own;
        }
        if (!blocking) return null;
        await waitForDeletion(this.#zk, joinPath(this.path, before), signal);
        if (isStale(this.#zk, own)) throw new ForceRetryError("the session changed");
      }
    }, signal);
  }
}

/**
 * The shared side of a read-write lock on `path` (kazoo's `ReadLock`,
 * nodes `{uuid}__rlock__{seq}`): readers hold it together; a reader waits
 * only for the last writer queued before it.
 *
 * @example
 * ```ts
 * import { ReadLock, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function readTable(): Promise<string[]>;
 * await using handle = await new ReadLock(zk, "/locks/table").acquire();
 * const rows = await readTable();
 * ```
 */
export class ReadLock extends Lock {
  /** `__rlock__`. */
  protected override get nodeName(): string {
    return "__rlock__";
  }
  /** Writers only: readers don't wait for readers. */
  protected override get conflictNames(): readonly string[] {
    return ["__lock__"];
  }
}

/**
 * The exclusive side of a read-write lock on `path` (kazoo's `WriteLock`,
 * nodes `{uuid}__lock__{seq}`): a writer waits for every reader and writer
 * queued before it.
 *
 * @example
 * ```ts
 * import { WriteLock, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function rewriteTable(): Promise<void>;
 * await using handle = await new WriteLock(zk, "/locks/table").acquire();
 * await rewriteTable();
 * ```
 */
export class WriteLock extends Lock {
  /** Readers and writers. */
  protected override get conflictNames(): readonly string[] {
    return ["__lock__", "__rlock__"];
  }
}

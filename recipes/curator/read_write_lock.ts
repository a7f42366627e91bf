/**
 * Curator's `InterProcessReadWriteLock`, znode for znode: readers and
 * writers queue in one directory as `_c_<uuid>-__READ__<seq>` and
 * `_c_<uuid>-__WRIT__<seq>`, ordered by the shared sequence.
 *
 * @example
 * ```ts
 * import { InterProcessReadWriteLock } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function readTable(...args: unknown[]): Promise<void>;
 * const rw = new InterProcessReadWriteLock(zk, "/locks/table");
 * {
 *   await using _ = await rw.readLock.acquire();
 *   await readTable();
 * }
 * ```
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { validatePath } from "../../lib/paths.ts";
import type { PredicateResult } from "./internal/lock_internals.ts";
import { InterProcessMutex, type InterProcessMutexOptions } from "./mutex.ts";

/** Curator's `READ_LOCK_NAME` and `WRITE_LOCK_NAME` (both 8 characters, on purpose). */
const READ = "__READ__";
const WRITE = "__WRIT__";

/** The exclusive side: a writer waits for every reader and writer before it. */
class WriteSide extends InterProcessMutex {
  protected override get lockName(): string {
    return WRITE;
  }
  protected override get sortNames(): readonly string[] {
    return [READ, WRITE];
  }
  protected override isParticipant(name: string): boolean {
    return name.includes(WRITE);
  }
}

/**
 * The shared side: a reader waits only for the first writer queued before
 * it, and holds at once while its own lock's write side is held (so a writer
 * can downgrade).
 */
class ReadSide extends InterProcessMutex {
  readonly #writer: InterProcessMutex;

  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    writer: InterProcessMutex,
    options: InterProcessMutexOptions,
  ) {
    super(zk, path, options);
    this.#writer = writer;
  }
  protected override get lockName(): string {
    return READ;
  }
  protected override get sortNames(): readonly string[] {
    return [READ, WRITE];
  }
  protected override isParticipant(name: string): boolean {
    return name.includes(READ);
  }
  protected override predicate(sorted: readonly string[], ourIndex: number): PredicateResult {
    if (this.#writer.isAcquired) return { holds: true };
    const firstWriter = sorted.findIndex((name, i) => i < ourIndex && name.includes(WRITE));
    return firstWriter < 0 ? { holds: true } : { holds: false, watch: sorted[firstWriter] };
  }
}

/**
 * A read-write lock on `path`, compatible with Curator's
 * `InterProcessReadWriteLock`: many readers or one writer.
 *
 * - Both sides are {@linkcode InterProcessMutex}es (re-entrant per instance,
 *   `acquire`, `tryAcquire`, handles with `release()` and a `signal`).
 * - A writer waits for every earlier reader and writer; a reader waits for
 *   the first earlier writer.
 * - Downgrading works (take the write lock, then the read lock, then release
 *   the write lock); upgrading a read lock deadlocks, as in Curator.
 *
 * @example
 * ```ts
 * import { InterProcessReadWriteLock } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function rebuildCatalog(...args: unknown[]): Promise<void>;
 * declare function publishCatalog(...args: unknown[]): Promise<void>;
 * const rw = new InterProcessReadWriteLock(zk, "/locks/catalog", { data: "indexer" });
 * const write = await rw.writeLock.acquire();
 * await rebuildCatalog();
 * const read = await rw.readLock.acquire(); // downgrade: held at once
 * await write.release();
 * await publishCatalog();
 * await read.release();
 * ```
 */
export class InterProcessReadWriteLock {
  /** The lock's node: readers' and writers' nodes are its children. */
  readonly path: string;
  /** The shared side (`__READ__` nodes). */
  readonly readLock: InterProcessMutex;
  /** The exclusive side (`__WRIT__` nodes). */
  readonly writeLock: InterProcessMutex;

  /**
   * Describes the lock; nothing is sent until a side is acquired.
   *
   * @param zk The client.
   * @param path The lock's path.
   * @param options `data`: both sides' node data (Curator's `lockData`).
   */
  constructor(zk: ZooKeeperClientCore, path: string, options: InterProcessMutexOptions = {}) {
    validatePath(path);
    this.path = path;
    this.writeLock = new WriteSide(zk, path, options);
    this.readLock = new ReadSide(zk, path, this.writeLock, options);
  }
}

/**
 * Distributed queues with priorities, kazoo's `Queue` and `LockingQueue` on the
 * same znodes, so kazoo producers and TypeScript consumers (or the reverse)
 * share one queue:
 *
 * - {@linkcode Queue}: entries are persistent sequential
 *   `{path}/entry-{priority:03d}-{seq10}` nodes; {@linkcode Queue.get} takes
 *   the first one by deleting it (at most once per entry);
 * - {@linkcode LockingQueue}: entries live in `{path}/entries/` with the same
 *   names, and a consumer locks one with an ephemeral `{path}/taken/{entry}`
 *   node holding its id before working on it; {@linkcode LockingQueue.consume}
 *   deletes both, {@linkcode LockingQueue.release} (or the consumer's death)
 *   puts the entry back.
 *
 * Lower priority numbers come first (0..999, default 100), then older entries.
 * Order is by priority and then by sequence number, not by string.
 *
 * @module
 */

import { deleteIfPresent } from "./internal/tolerant.ts";
import { forgetWatcher, Wakeup, withTimeout } from "./internal/wakeup.ts";
import { inspectOwn, type OwnNode } from "./internal/owned.ts";
import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  ConnectionLossError,
  isSessionExpiry,
  NodeExistsError,
  NoNodeError,
  OutcomeUnknownError,
  TransactionError,
} from "../lib/errors.ts";
import { abortable } from "../lib/abort.ts";
import { joinPath } from "../lib/paths.ts";
import type { Data } from "../lib/core.ts";
import type { CallOptions, Watcher } from "../lib/types.ts";

/** Options of `put` and `putAll`. */
export interface QueuePutOptions extends CallOptions {
  /** 0..999; lower numbers are taken first (default 100). */
  priority?: number;
}

/** Options of {@linkcode LockingQueue.get}. */
export interface LockingQueueGetOptions extends CallOptions {
  /** Give up after this many ms and resolve `null` (default: wait until an entry comes). */
  timeout?: number;
}

const ENTRY = /^entry-(\d{3})-(-?\d+)$/;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function checkPriority(priority: number): string {
  if (!Number.isInteger(priority) || priority < 0 || priority > 999) {
    throw new BadArgumentsError(`priority must be an integer in 0..999, not ${priority}`);
  }
  return String(priority).padStart(3, "0");
}

function checkValue(value: Data): void {
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new BadArgumentsError("a queue entry must be a Uint8Array or a string");
  }
}

/** Sorts entry names by priority, then sequence number; unknown names go last. */
function sortEntries(names: string[]): string[] {
  const key = (name: string): [number, number] => {
    const m = ENTRY.exec(name);
    return m ? [Number(m[1]), Number(m[2])] : [Infinity, Infinity];
  };
  return names.map((name) => ({ name, key: key(name) }))
    .sort((a, b) =>
      a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    )
    .map((e) => e.name);
}

/**
 * What both queues share: the entry names, `put`, `putAll` and `length`.
 *
 * @example
 * ```ts
 * import { type BaseQueue, LockingQueue, Queue, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const queues: BaseQueue[] = [new Queue(zk, "/q1"), new LockingQueue(zk, "/q2")];
 * for (const q of queues) await q.put("hello");
 * ```
 */
export abstract class BaseQueue {
  /** The queue's node. */
  readonly path: string;
  /** The client. */
  protected readonly zk: ZooKeeperClientCore;
  /** Where the entries are. */
  protected readonly entriesPath: string;
  /** The nodes to create before the first call. */
  protected readonly structure: readonly string[];
  #ensured = false;

  /** Sets the fields; `structure` lists the nodes to create first. */
  constructor(zk: ZooKeeperClientCore, path: string, entriesPath: string, structure: string[]) {
    this.zk = zk;
    this.path = path;
    this.entriesPath = entriesPath;
    this.structure = structure;
  }

  /** Creates the queue's nodes once. */
  protected async ensure(signal?: AbortSignal): Promise<void> {
    if (this.#ensured) return;
    for (const path of this.structure) {
      await this.zk.retry(() => this.zk.ensurePath(path, { signal }), { maxTries: -1, signal });
    }
    this.#ensured = true;
  }

  #prefix(priority: number | undefined): string {
    return joinPath(this.entriesPath, `entry-${checkPriority(priority ?? 100)}-`);
  }

  /**
   * Adds an entry. Resolves with the entry's path. Not retried: if the
   * connection drops while the create is in flight it rejects with
   * {@linkcode ConnectionLossError} and the entry may or may not be there
   * (a sequential name cannot be found again).
   *
   * @example
   * ```ts
   * import type { Queue } from "@zk/client";
   * declare const queue: Queue;
   * await queue.put("job-1");
   * await queue.put(new Uint8Array([1, 2]), { priority: 10 }); // ahead of job-1
   * ```
   */
  async put(value: Data, options: QueuePutOptions = {}): Promise<string> {
    checkValue(value);
    const prefix = this.#prefix(options.priority);
    await this.ensure(options.signal);
    return await this.zk.create(prefix, value, { sequential: true, signal: options.signal });
  }

  /**
   * Adds several entries atomically (one transaction), in order, with one
   * priority. Resolves with their paths.
   *
   * @example
   * ```ts
   * import type { Queue } from "@zk/client";
   * declare const queue: Queue;
   * await queue.putAll(["a", "b", "c"], { priority: 50 });
   * ```
   */
  async putAll(values: readonly Data[], options: QueuePutOptions = {}): Promise<string[]> {
    if (!Array.isArray(values)) throw new BadArgumentsError("putAll takes an array of values");
    values.forEach(checkValue);
    const prefix = this.#prefix(options.priority);
    await this.ensure(options.signal);
    if (values.length === 0) return [];
    const transaction = this.zk.transaction();
    for (const value of values) transaction.create(prefix, value, { sequential: true });
    const results = await transaction.commit({ signal: options.signal });
    return results.map((r) => r.type === "create" ? r.path : "");
  }

  /**
   * The number of entries (for a {@linkcode LockingQueue}, locked ones included).
   *
   * @example
   * ```ts
   * import type { Queue } from "@zk/client";
   * declare const queue: Queue;
   * console.log(await queue.length());
   * ```
   */
  async length(options: CallOptions = {}): Promise<number> {
    const signal = options.signal;
    await this.ensure(signal);
    const stat = await this.zk.retry(() => this.zk.exists(this.entriesPath, { signal }), {
      maxTries: -1,
      signal,
    });
    return stat?.numChildren ?? 0;
  }
}

/**
 * A queue with priorities that hands each entry to one consumer: taking an
 * entry deletes it, so an entry whose consumer dies while working on it is
 * lost (kazoo's `Queue`; use {@linkcode LockingQueue} to keep it).
 *
 * @example
 * ```ts
 * import { Queue, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const queue = new Queue(zk, "/jobs");
 * await queue.put("low", { priority: 500 });
 * await queue.put("urgent", { priority: 1 });
 * const next = await queue.get(); // "urgent", as bytes
 * ```
 */
export class Queue extends BaseQueue {
  #cache: string[] = [];

  /** Makes a queue on `path`; nothing is sent until a call. */
  constructor(zk: ZooKeeperClientCore, path: string) {
    super(zk, path, path, [path]);
  }

  /**
   * Takes the first entry: resolves with its data, or `null` if the queue is
   * empty. Does not wait for one; see {@linkcode Queue.take}.
   *
   * At most once per entry: two consumers never get the same entry, since
   * only the one whose delete succeeds takes it. If the connection drops
   * while our delete is in flight and the retried delete finds the entry
   * gone, nobody can tell whether our delete or another consumer's removed
   * it: the call rejects with {@linkcode OutcomeUnknownError} (its `path` is
   * the entry's) rather than hand out an entry that may be someone else's.
   * The entry is then lost if it was ours, as with a consumer that dies.
   *
   * The leader decides each delete, so a member that serves an old list
   * (one behind, or one that lost transactions) cannot make a consumer take
   * an entry twice; a leader that lost transactions can. ZooKeeper 3.8 and
   * 3.9 before 3.9.3 lose the committed transactions of a follower frozen
   * while logging and later restarted (ZOOKEEPER-4409, ZOOKEEPER-4712):
   * when it leads, entries taken before are back and are taken again.
   *
   * @throws {OutcomeUnknownError} after a connection loss, as above.
   *
   * @example
   * ```ts
   * import { Queue, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const data = await new Queue(zk, "/jobs").get();
   * if (data) console.log(new TextDecoder().decode(data));
   * ```
   */
  get(options: CallOptions = {}): Promise<Uint8Array | null> {
    return this.#get(options.signal);
  }

  /**
   * {@linkcode Queue.get}, with `watch` set by each listing. When it resolves
   * `null`, `watch` fires on the next change of the entries, or has fired
   * already (others took the entries the last listing found).
   */
  async #get(signal: AbortSignal | undefined, watch?: Watcher): Promise<Uint8Array | null> {
    await this.ensure(signal);
    const retry = <T>(fn: () => Promise<T>): Promise<T> =>
      this.zk.retry(fn, { maxTries: -1, signal });
    // The list is cached between calls, as kazoo does, to save a getChildren per entry.
    let refreshed = false;
    while (true) {
      if (this.#cache.length === 0) {
        if (refreshed) return null;
        this.#cache = sortEntries(
          await retry(() => this.zk.getChildren(this.path, { watch, signal })),
        );
        refreshed = true;
        if (this.#cache.length === 0) return null;
      }
      const name = this.#cache.shift()!;
      const path = joinPath(this.path, name);
      let data: Uint8Array;
      try {
        data = (await retry(() => this.zk.get(path, { signal }))).data;
      } catch (error) {
        if (error instanceof NoNodeError) continue; // taken by someone else
        throw error;
      }
      if (await takeByDelete(this.zk, path, signal)) return data;
    }
  }

  /**
   * Takes the first entry, waiting for one if the queue is empty. Resolves
   * with its data, or `null` if `timeout` ms pass first; rejects with
   * `signal.reason` when `signal` aborts.
   *
   * @throws {OutcomeUnknownError} as {@linkcode Queue.get} does, after a connection loss.
   *
   * @example
   * ```ts
   * import { Queue, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const data = await new Queue(zk, "/jobs").take({ timeout: 5_000 });
   * ```
   */
  take(options: LockingQueueGetOptions = {}): Promise<Uint8Array | null> {
    return withTimeout(options, null, async (signal) => {
      const wakeup = new Wakeup();
      try {
        while (true) {
          wakeup.arm();
          const data = await this.#get(signal, wakeup.watcher);
          if (data) return data;
          await wakeup.wait(signal);
        }
      } finally {
        await forgetWatcher(this.zk, this.path, wakeup.watcher, "children");
      }
    });
  }
}

/**
 * Deletes an entry to take it: true if our delete removed it, false if
 * another consumer's did. After a lost reply a missing entry proves neither:
 * {@linkcode OutcomeUnknownError}.
 */
async function takeByDelete(
  zk: ZooKeeperClientCore,
  path: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let lost: ConnectionLossError | undefined;
  try {
    await zk.retry(async () => {
      try {
        await zk.delete(path, { signal });
      } catch (error) {
        if (error instanceof ConnectionLossError) lost = error;
        throw error;
      }
    }, { maxTries: -1, signal });
    return true;
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
    if (lost === undefined) return false;
    throw new OutcomeUnknownError(
      "queue entry taken during a connection loss, by us or by another consumer",
      { path, cause: lost },
    );
  }
}

/** An entry this consumer has locked. */
interface Held {
  name: string;
  value: Uint8Array;
  session: bigint;
}

/**
 * A queue with priorities whose consumers lock an entry while working on it
 * (kazoo's `LockingQueue`): {@linkcode LockingQueue.get} locks the first free
 * entry and returns it, {@linkcode LockingQueue.consume} removes it once done,
 * and {@linkcode LockingQueue.release} - or the end of the consumer's session -
 * hands it to the next consumer.
 *
 * One instance holds at most one entry at a time: until it is consumed or
 * released, `get()` returns that same entry again.
 *
 * @example
 * ```ts
 * import { LockingQueue, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function work(job: Uint8Array): Promise<void>;
 * const queue = new LockingQueue(zk, "/jobs");
 * await queue.put("resize image 7");
 * const job = await queue.get({ signal: AbortSignal.timeout(30_000) });
 * try {
 *   await work(job!); // null only after a timeout
 *   await queue.consume();
 * } catch {
 *   await queue.release(); // someone else gets it
 * }
 * ```
 */
export class LockingQueue extends BaseQueue {
  /** This consumer's id (32 hex digits), the data of its lock nodes. */
  readonly id: string;
  readonly #takenPath: string;
  #held: Held | undefined;

  /** Makes a queue on `path` (with `entries/` and `taken/` under it); nothing is sent until a call. */
  constructor(zk: ZooKeeperClientCore, path: string) {
    const takenPath = joinPath(path, "taken");
    const entriesPath = joinPath(path, "entries");
    super(zk, path, entriesPath, [takenPath, entriesPath]);
    this.#takenPath = takenPath;
    this.id = crypto.randomUUID().replaceAll("-", "");
  }

  /** The name of the entry this consumer holds (`entry-100-0000000003`), if any. */
  get holding(): string | undefined {
    return this.#current()?.name;
  }

  /** The held entry, unless the session that locked it is gone. */
  #current(): Held | undefined {
    if (this.#held && this.#held.session !== this.zk.sessionId) this.#held = undefined;
    return this.#held;
  }

  /**
   * Locks the first free entry and resolves with its data, waiting for one
   * if there is none; resolves `null` if `timeout` ms pass first. If this
   * consumer already holds an entry (same session), resolves with that one.
   *
   * @example
   * ```ts
   * import type { LockingQueue } from "@zk/client";
   * declare const queue: LockingQueue;
   * const data = await queue.get({ timeout: 1_000 }); // null if none within 1 s
   * ```
   */
  get(options: LockingQueueGetOptions = {}): Promise<Uint8Array | null> {
    const held = this.#current();
    if (held) return Promise.resolve(held.value);
    return withTimeout(options, null, async (signal) => {
      await this.ensure(signal);
      const zk = this.zk;
      const retry = <T>(fn: () => Promise<T>): Promise<T> => zk.retry(fn, { maxTries: -1, signal });
      // One watcher for both lists, so repeated checks do not pile up watches.
      const wakeup = new Wakeup();
      try {
        while (true) {
          wakeup.arm();
          const entries = await retry(() =>
            zk.getChildren(this.entriesPath, { watch: wakeup.watcher, signal })
          );
          const taken = new Set(
            await retry(() => zk.getChildren(this.#takenPath, { watch: wakeup.watcher, signal })),
          );
          for (const name of sortEntries(entries.filter((e) => !taken.has(e)))) {
            const held = await this.#take(name, signal);
            if (held) {
              this.#held = held;
              return held.value;
            }
          }
          await wakeup.wait(signal);
        }
      } finally {
        await forgetWatcher(zk, this.entriesPath, wakeup.watcher, "children");
        await forgetWatcher(zk, this.#takenPath, wakeup.watcher, "children");
      }
    });
  }

  /** Locks `name` and reads it; undefined if someone else has it or it is gone. */
  async #take(name: string, signal: AbortSignal | undefined): Promise<Held | undefined> {
    const zk = this.zk;
    const lock = joinPath(this.#takenPath, name);
    // Not cancelled by `signal`: a create that reached the server must be
    // undone, or its lock would hide the entry until our session ends.
    const locking = zk.retry(async () => {
      try {
        const { stat } = await zk.create(lock, this.id, { ephemeral: true, includeStat: true });
        return stat.ephemeralOwner;
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
        // Ours if a create whose reply was lost went through; one of our
        // older session is deleted (the entry is free again: look again).
        const own = await inspectOwn(zk, lock, { data: encoder.encode(this.id) });
        return own.state === "current" ? own.stat.ephemeralOwner : undefined;
      }
    }, { maxTries: -1 });
    let session: bigint | undefined;
    try {
      session = await abortable(locking, signal);
    } catch (error) {
      if (signal?.aborted) {
        locking.then((s) => s === undefined ? undefined : this.#unlock(lock), () => {});
      }
      throw error;
    }
    if (session === undefined) return undefined;
    try {
      const { data } = await zk.retry(() => zk.get(joinPath(this.entriesPath, name), { signal }), {
        maxTries: -1,
        signal,
      });
      return { name, value: data, session };
    } catch (error) {
      // Consumed between our listing and our lock: unlock and look further.
      if (error instanceof NoNodeError) {
        await this.#unlock(lock);
        return undefined;
      }
      // Aborted, or the client closed: unlock without keeping the caller waiting.
      void this.#unlock(lock);
      throw error;
    }
  }

  async #unlock(lock: string): Promise<void> {
    try {
      await this.zk.retry(() => deleteIfPresent(this.zk, lock), { maxTries: -1 });
    } catch {
      // Session gone or client closed: the ephemeral lock went with it.
    }
  }

  /**
   * Whether this consumer still holds its entry's lock, asked of the server
   * (after a `sync`, as kazoo does).
   *
   * @example
   * ```ts
   * import type { LockingQueue } from "@zk/client";
   * declare const queue: LockingQueue;
   * if (!await queue.holdsLock()) console.log("lost the entry; stop working on it");
   * ```
   */
  async holdsLock(options: CallOptions = {}): Promise<boolean> {
    const held = this.#current();
    if (!held) return false;
    const signal = options.signal;
    const lock = joinPath(this.#takenPath, held.name);
    try {
      const { data, stat } = await this.zk.retry(async () => {
        await this.zk.sync(lock, { signal });
        return await this.zk.get(lock, { signal });
      }, { maxTries: -1, signal, ignoreExpire: false });
      return stat.ephemeralOwner === held.session && decoder.decode(data) === this.id;
    } catch (error) {
      if (error instanceof NoNodeError || isSessionExpiry(error)) return false;
      throw error;
    }
  }

  /**
   * Removes the held entry from the queue (with its lock, atomically).
   * Resolves `true` if it did, `false` if this consumer holds no entry or
   * its lock is gone (the session expired: someone else may have it now).
   *
   * @example
   * ```ts
   * import type { LockingQueue } from "@zk/client";
   * declare const queue: LockingQueue;
   * await queue.get();
   * await queue.consume(); // true
   * ```
   */
  consume(options: CallOptions = {}): Promise<boolean> {
    return this.#finish(true, options.signal);
  }

  /**
   * Unlocks the held entry without consuming it, so another consumer can take
   * it. Resolves `true` if it did, `false` if this consumer holds no entry
   * or its lock is gone.
   *
   * @example
   * ```ts
   * import type { LockingQueue } from "@zk/client";
   * declare const queue: LockingQueue;
   * await queue.get();
   * await queue.release(); // back in the queue
   * ```
   */
  release(options: CallOptions = {}): Promise<boolean> {
    return this.#finish(false, options.signal);
  }

  async #finish(consume: boolean, signal: AbortSignal | undefined): Promise<boolean> {
    const held = this.#current();
    if (!held) return false;
    const entry = joinPath(this.entriesPath, held.name);
    const lock = joinPath(this.#takenPath, held.name);
    let lost = false;
    while (true) {
      // Sent only on the session that holds the lock: requests of an expired
      // session fail rather than run on its successor and delete another's lock.
      if (this.#current() !== held) return false;
      if (lost) {
        // A try whose reply was lost may have gone through, and another
        // consumer may have locked the entry since: delete only a lock that
        // is provably ours (our session, our id). Gone, or someone else's,
        // means our try went through: nobody else deletes our lock while
        // our session lives.
        const own = await this.#inspectLock(lock, signal);
        if (own === undefined || this.#current() !== held) return false;
        if (own.state !== "current") {
          this.#held = undefined;
          return true;
        }
        lost = false;
      }
      const transaction = this.zk.transaction();
      if (consume) transaction.delete(entry);
      transaction.delete(lock);
      try {
        await transaction.commit({ signal });
        this.#held = undefined;
        return true;
      } catch (error) {
        if (error instanceof ConnectionLossError) {
          lost = true;
          continue;
        }
        if (isSessionExpiry(error)) {
          this.#held = undefined;
          return false;
        }
        if (!(error instanceof TransactionError)) throw error;
        this.#held = undefined;
        return false;
      }
    }
  }

  /** Our lock as the server has it now; undefined when our session is gone. */
  async #inspectLock(lock: string, signal: AbortSignal | undefined): Promise<OwnNode | undefined> {
    try {
      return await this.zk.retry(
        () => inspectOwn(this.zk, lock, { data: encoder.encode(this.id), signal }),
        { maxTries: -1, signal, ignoreExpire: false },
      );
    } catch (error) {
      if (!isSessionExpiry(error)) throw error;
      this.#held = undefined;
      return undefined;
    }
  }
}

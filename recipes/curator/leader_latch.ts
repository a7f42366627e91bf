/**
 * Curator's `LeaderLatch`, znode for znode: every participant keeps a
 * protected ephemeral-sequential node `{path}/_c_<uuid>-latch-<seq>` holding
 * its id (UTF-8), and the first one in sequence order leads, until it closes
 * its latch or loses its session. Java services running Curator's latch and
 * TypeScript services running this one elect one leader between them.
 *
 * @example
 * ```ts
 * import { LeaderLatch } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function runScheduler(...args: unknown[]): Promise<void>;
 * await using latch = new LeaderLatch(zk, "/services/billing/leader", { id: "host-a" });
 * await latch.start();
 * const leadership = await latch.leadership();
 * await runScheduler({ signal: leadership }); // until leadership is lost
 * ```
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { sleep } from "../../lib/abort.ts";
import { BadArgumentsError, isRetryable, NoNodeError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import type { Watcher } from "../../lib/types.ts";
import {
  type ContenderNode,
  isStale,
  waitForDeletion,
  whileConnected,
} from "../internal/contenders.ts";
import { deleteRetried } from "../internal/tolerant.ts";
import { heldSignal } from "../internal/session_signal.ts";
import { forgetWatcher } from "../internal/wakeup.ts";
import { sortChildren } from "./internal/lock_internals.ts";
import { type Participant, readParticipants, untilConnected } from "./internal/participants.ts";
import { CuratorProtectedCreate } from "./internal/protected_create.ts";

export type { Participant } from "./internal/participants.ts";

/** Curator's `LeaderLatch.LOCK_NAME`. */
const LATCH_NAME = "latch-";

/** Options of the {@linkcode LeaderLatch} constructor. */
export interface LeaderLatchOptions {
  /** This participant's id, stored as its node's data (UTF-8). Default `""` (no data, as Curator). */
  id?: string;
}

/** A latch's life: before `start()`, started, closed (Curator's `LeaderLatch.State`). */
export type LeaderLatchState = "LATENT" | "STARTED" | "CLOSED";

const encoder = new TextEncoder();

/**
 * A leader latch on `path`, compatible with Curator's `LeaderLatch`.
 *
 * - Leadership is kept until {@linkcode LeaderLatch.close}, not handed back
 *   after some work (see {@linkcode LeaderSelector} for that).
 * - {@linkcode LeaderLatch.leadership} waits for leadership and gives a
 *   signal that aborts when it ends: the connection is SUSPENDED (Curator's
 *   default policy; leadership comes back after a reconnect if the session
 *   survived), the session is LOST, the node is deleted, or the latch closes.
 * - After a session expiry the latch joins again with a new node.
 *
 * @example
 * ```ts
 * import { LeaderLatch } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const latch = new LeaderLatch(zk, "/jobs/leader", { id: "worker-7" });
 * await latch.start();
 * console.log(await latch.participants()); // [{ id: "worker-1", isLeader: true }, ...]
 * if (latch.hasLeadership) console.log("leading");
 * await latch.close();
 * ```
 */
export class LeaderLatch implements AsyncDisposable {
  /** The latch's node: participants are its children. */
  readonly path: string;
  /** This participant's id. */
  readonly id: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #closing = new AbortController();
  #state: LeaderLatchState = "LATENT";
  #node: ContenderNode | undefined;
  #leadership: AbortController | undefined;
  #waiters: { resolve: (signal: AbortSignal) => void; reject: (error: unknown) => void }[] = [];
  #failure: unknown;
  #running: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  /**
   * Describes the latch; nothing is sent until `start()`.
   *
   * @param zk The client.
   * @param path The latch's path (created as a container, with container parents, when missing).
   */
  constructor(zk: ZooKeeperClientCore, path: string, options: LeaderLatchOptions = {}) {
    validatePath(path);
    const id = options.id ?? "";
    if (typeof id !== "string") throw new BadArgumentsError("a latch id must be a string");
    this.#zk = zk;
    this.path = path;
    this.id = id;
  }

  /** `LATENT` before `start()`, `STARTED`, then `CLOSED`. */
  get state(): LeaderLatchState {
    return this.#state;
  }

  /** True while this participant leads (and its leadership signal has not aborted). */
  get hasLeadership(): boolean {
    return this.#leadership !== undefined && !this.#leadership.signal.aborted;
  }

  /**
   * The path of this participant's node, once made (it changes when the
   * latch joins again after a session expiry).
   */
  get ourPath(): string | undefined {
    return this.#node?.path;
  }

  /**
   * Joins: creates this participant's node, resolving once it exists, and
   * keeps checking for leadership in the background until `close()`.
   * Rejects with `signal.reason` if `signal` aborts before the node exists
   * (the latch is closed then).
   *
   * @example
   * ```ts
   * import type { LeaderLatch } from "@zk/client/curator";
   * declare const latch: LeaderLatch;
   * await latch.start({ signal: AbortSignal.timeout(10_000) });
   * ```
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== "LATENT") {
      throw new BadArgumentsError(`a LeaderLatch starts once; this one is ${this.#state}`, {
        path: this.path,
      });
    }
    this.#state = "STARTED";
    let joined!: () => void;
    let failed!: (error: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    this.#running = this.#run(joined, failed);
    const { signal } = options;
    const stop = () => {
      failed(signal!.reason);
      this.close();
    };
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    try {
      await ready;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
  }

  /**
   * Waits until this participant leads, and resolves with a signal that
   * aborts when its leadership ends (at once, if it leads already). Rejects
   * with `signal.reason` when `signal` aborts, and with an `AbortError` if
   * the latch closes first (or the error that stopped it).
   *
   * @example
   * ```ts
   * import type { LeaderLatch } from "@zk/client/curator";
   * declare const latch: LeaderLatch;
   * declare const shutdown: AbortSignal;
   * declare function lead(...args: unknown[]): Promise<void>;
   * while (true) {
   *   const leadership = await latch.leadership({ signal: shutdown });
   *   await lead(leadership);
   * }
   * ```
   */
  leadership(options: { signal?: AbortSignal } = {}): Promise<AbortSignal> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#state === "CLOSED" || this.#failure !== undefined) {
      return Promise.reject(this.#closedError());
    }
    if (this.hasLeadership) return Promise.resolve(this.#leadership!.signal);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      const waiter = {
        resolve: (leadership: AbortSignal) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(leadership);
        },
        reject: (error: unknown) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * The participants in queue order, the leader first (Curator's
   * `getParticipants()`); each with the id it stored.
   */
  participants(options: { signal?: AbortSignal } = {}): Promise<Participant[]> {
    return readParticipants(this.#zk, this.path, LATCH_NAME, options.signal);
  }

  /** The leading participant, or `null` when there is none (Curator's `getLeader()`). */
  async leader(options: { signal?: AbortSignal } = {}): Promise<Participant | null> {
    return (await this.participants(options))[0] ?? null;
  }

  /**
   * Leaves: leadership ends, waiters reject, and our node is deleted
   * (awaited while connected, in the background otherwise). Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#state = "CLOSED";
      this.#closing.abort(new DOMException(`the latch at ${this.path} closed`, "AbortError"));
      this.#loseLeadership(this.#closing.signal.reason);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError());
      if (this.#running === undefined) return;
      await this.#running;
      const node = this.#node;
      this.#node = undefined;
      if (node && !isStale(this.#zk, node)) {
        await whileConnected(
          this.#zk,
          deleteRetried(this.#zk, node.path, { ephemeral: true }).then(() => {}, () => {}),
        );
      }
    })();
    return this.#closed;
  }

  /** Closes; see {@linkcode LeaderLatch.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #closedError(): unknown {
    return this.#failure ?? this.#closing.signal.reason ??
      new DOMException(`the latch at ${this.path} is closed`, "AbortError");
  }

  /** The background loop: (re)join, check, lead or wait, until closed. */
  async #run(joined: () => void, failed: (error: unknown) => void): Promise<void> {
    const closing = this.#closing.signal;
    let delay = 20;
    while (!closing.aborted) {
      try {
        await untilConnected(this.#zk, closing);
        if (this.#node === undefined || isStale(this.#zk, this.#node)) {
          // Curator's reset(): a new node (an old one goes with its session).
          const creator = new CuratorProtectedCreate(
            this.#zk,
            this.path,
            LATCH_NAME,
            encoder.encode(this.id),
          );
          try {
            this.#node = await creator.create(closing);
          } catch (error) {
            await whileConnected(this.#zk, creator.cleanup());
            throw error;
          }
        }
        joined();
        await this.#check(this.#node, closing);
        delay = 20;
      } catch (error) {
        if (closing.aborted) break;
        if (!isRetryable(error)) {
          this.#failure = error;
          failed(error);
          for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
          return;
        }
        await sleep(delay, closing).catch(() => {});
        delay = Math.min(delay * 2, 1_000);
      }
    }
    failed(closing.reason);
  }

  /** One round: lead until leadership ends, or wait for the predecessor to change. */
  async #check(node: ContenderNode, closing: AbortSignal): Promise<void> {
    const children = await this.#zk.getChildren(this.path, { signal: closing });
    const sorted = sortChildren(children, [LATCH_NAME]);
    const ourIndex = sorted.indexOf(node.name);
    if (ourIndex < 0) {
      this.#node = undefined; // gone with an expired session, or deleted: join again
      return;
    }
    if (ourIndex > 0) {
      await waitForDeletion(this.#zk, joinPath(this.path, sorted[ourIndex - 1]), closing);
      return;
    }
    await this.#lead(node, closing);
  }

  /** Leads until the connection is suspended, the node goes, or the latch closes. */
  async #lead(node: ContenderNode, closing: AbortSignal): Promise<void> {
    using held = heldSignal(this.#zk, `leadership of ${this.path}`);
    const leadership = new AbortController();
    held.signal.addEventListener("abort", () => leadership.abort(held.signal.reason), {
      once: true,
    });
    const deleted = () =>
      held.abort(new NoNodeError(`leadership of ${this.path}: node deleted`, { path: node.path }));
    const watcher: Watcher = (event) => {
      if (held.signal.aborted) return;
      if (event.type === "DELETED") {
        deleted();
      } else if (event.type !== "NONE") {
        // Someone changed our node's data: watch on, for its deletion.
        this.#zk.exists(node.path, { watch: watcher }).then(
          (stat) => stat === null && deleted(),
          () => {}, // connection trouble: the held signal has its own say
        );
      }
    };
    try {
      if (await this.#zk.exists(node.path, { watch: watcher, signal: closing }) === null) {
        return; // deleted meanwhile: the next round joins again
      }
      if (held.signal.aborted) return;
      this.#leadership = leadership;
      for (const waiter of this.#waiters.splice(0)) waiter.resolve(leadership.signal);
      await aborted(AbortSignal.any([leadership.signal, closing]));
    } finally {
      this.#loseLeadership(held.signal.reason ?? closing.reason);
      await forgetWatcher(this.#zk, node.path, watcher, "data");
    }
  }

  #loseLeadership(reason: unknown): void {
    const leadership = this.#leadership;
    this.#leadership = undefined;
    if (leadership && !leadership.signal.aborted) leadership.abort(reason);
  }
}

/** Resolves when `signal` aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

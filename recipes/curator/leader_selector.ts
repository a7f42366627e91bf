/**
 * Curator's `LeaderSelector`, znode for znode: leadership is holding an
 * {@linkcode InterProcessMutex} on the selector's path (nodes
 * `_c_<uuid>-lock-<seq>` holding the participant's id), for as long as one
 * call of the leader function lasts. Java services running Curator's
 * selector and TypeScript services running this one take turns on the same
 * path.
 *
 * @example
 * ```ts
 * import { LeaderSelector } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function compactOnce(...args: unknown[]): Promise<void>;
 * const selector = new LeaderSelector(zk, "/jobs/compaction", async (leadership) => {
 *   await compactOnce({ signal: leadership }); // leadership ends when this returns
 * }, { id: "host-a", autoRequeue: true });
 * selector.start();
 * // ... later
 * await selector.close();
 * ```
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { sleep } from "../../lib/abort.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import { validatePath } from "../../lib/paths.ts";
import { whileConnected } from "../internal/contenders.ts";
import { InterProcessMutex } from "./mutex.ts";
import { type Participant, readParticipants } from "./internal/participants.ts";

export type { Participant } from "./internal/participants.ts";

/**
 * The leader function (Curator's `takeLeadership`): it leads until it
 * returns. `leadership` aborts when it should stop: the connection is
 * SUSPENDED or the session LOST (Curator's `CancelLeadershipException`),
 * the node is deleted, {@linkcode LeaderSelector.interruptLeadership} or
 * {@linkcode LeaderSelector.close} is called.
 */
export type LeaderSelectorListener = (leadership: AbortSignal) => void | Promise<void>;

/** Options of the {@linkcode LeaderSelector} constructor. */
export interface LeaderSelectorOptions {
  /**
   * This participant's id, stored as its node's data (UTF-8), as Curator's
   * `setId`. Curator stores its host's address when no id is set; default
   * here: `""` (no data).
   */
  id?: string;
  /** Queue again each time the leader function returns (Curator's `autoRequeue()`). Default false. */
  autoRequeue?: boolean;
  /** Called with an error of the leader function or of queueing. Default `console.error`. */
  onError?: (error: unknown) => void;
}

/** A selector's life: before `start()`, started, closed. */
export type LeaderSelectorState = "LATENT" | "STARTED" | "CLOSED";

const defaultOnError = (error: unknown): void => console.error(error);

/**
 * A leader selector on `path`, compatible with Curator's `LeaderSelector`:
 * once elected it calls the leader function, and gives leadership up when
 * the function returns (then queues again with `autoRequeue`, or after
 * {@linkcode LeaderSelector.requeue}).
 *
 * @example
 * ```ts
 * import { LeaderSelector } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function doLeaderWork(...args: unknown[]): Promise<void>;
 * await using selector = new LeaderSelector(zk, "/election", async (leadership) => {
 *   while (!leadership.aborted) await doLeaderWork(leadership);
 * }, { id: "worker-2", autoRequeue: true });
 * selector.start();
 * console.log(await selector.participants()); // [{ id: "worker-1", isLeader: true }, ...]
 * ```
 */
export class LeaderSelector implements AsyncDisposable {
  /** The selector's path (the mutex's node). */
  readonly path: string;
  /** This participant's id. */
  readonly id: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #listener: LeaderSelectorListener;
  readonly #autoRequeue: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #mutex: InterProcessMutex;
  readonly #closing = new AbortController();
  #state: LeaderSelectorState = "LATENT";
  #running: Promise<void> | undefined;
  #interrupt: AbortController | undefined;

  /**
   * Describes the selector; nothing is sent until `start()`.
   *
   * @param zk The client.
   * @param path The selector's path.
   * @param listener The leader function.
   */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    listener: LeaderSelectorListener,
    options: LeaderSelectorOptions = {},
  ) {
    validatePath(path);
    if (typeof listener !== "function") {
      throw new BadArgumentsError("the leader function is missing");
    }
    const id = options.id ?? "";
    if (typeof id !== "string") throw new BadArgumentsError("a selector id must be a string");
    this.#zk = zk;
    this.path = path;
    this.id = id;
    this.#listener = listener;
    this.#autoRequeue = options.autoRequeue ?? false;
    this.#onError = options.onError ?? defaultOnError;
    this.#mutex = new InterProcessMutex(zk, path, { data: id });
  }

  /** `LATENT` before `start()`, `STARTED`, then `CLOSED`. */
  get state(): LeaderSelectorState {
    return this.#state;
  }

  /** True while the leader function runs. */
  get hasLeadership(): boolean {
    return this.#interrupt !== undefined;
  }

  /** Queues for leadership (once; see `autoRequeue` and {@linkcode LeaderSelector.requeue}). */
  start(): void {
    if (this.#state !== "LATENT") {
      throw new BadArgumentsError(`a LeaderSelector starts once; this one is ${this.#state}`, {
        path: this.path,
      });
    }
    this.#state = "STARTED";
    this.requeue();
  }

  /**
   * Queues again if the selector is started and neither queued nor leading;
   * returns whether it queued.
   */
  requeue(): boolean {
    if (this.#state !== "STARTED" || this.#running !== undefined) return false;
    const running = this.#terms().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return true;
  }

  /** Aborts the running leader function's signal (Curator's `interruptLeadership()`). */
  interruptLeadership(): void {
    this.#interrupt?.abort(
      new DOMException(`leadership of ${this.path} interrupted`, "AbortError"),
    );
  }

  /** The participants in queue order, the leader first, with the ids they stored. */
  participants(options: { signal?: AbortSignal } = {}): Promise<Participant[]> {
    return readParticipants(this.#zk, this.path, "lock-", options.signal);
  }

  /** The leading participant, or `null` when there is none. */
  async leader(options: { signal?: AbortSignal } = {}): Promise<Participant | null> {
    return (await this.participants(options))[0] ?? null;
  }

  /**
   * Leaves: a waiting selector leaves the queue, a leader's signal aborts,
   * and the call resolves once the leader function has returned and the
   * node is deleted (awaited while connected). Idempotent.
   */
  async close(): Promise<void> {
    this.#state = "CLOSED";
    this.#closing.abort(new DOMException(`the selector at ${this.path} closed`, "AbortError"));
    await this.#running;
  }

  /** Closes; see {@linkcode LeaderSelector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One term, or terms until closed with `autoRequeue`. */
  async #terms(): Promise<void> {
    const closing = this.#closing.signal;
    let delay = 20;
    do {
      try {
        await this.#term(closing);
        delay = 20;
      } catch (error) {
        if (closing.aborted) return;
        this.#onError(error);
        if (!this.#autoRequeue) return;
        // Something other than the connection failed (the mutex rides
        // connection loss out): do not spin on it.
        await sleep(delay, closing).catch(() => {});
        delay = Math.min(delay * 2, 5_000);
      }
    } while (this.#autoRequeue && !closing.aborted);
  }

  async #term(closing: AbortSignal): Promise<void> {
    const lock = await this.#mutex.acquire({ signal: closing });
    const interrupt = new AbortController();
    this.#interrupt = interrupt;
    const leadership = AbortSignal.any([lock.signal, interrupt.signal, closing]);
    try {
      // Closed, or the connection suspended, while the lock was being taken:
      // a leader function never starts with its leadership already over.
      if (leadership.aborted) return;
      await this.#listener(leadership);
    } catch (error) {
      // Stopping because we were told to is how a leader function ends.
      if (!(leadership.aborted && (error === leadership.reason || isAbortError(error)))) {
        this.#onError(error);
      }
    } finally {
      this.#interrupt = undefined;
      // A leader cut off from the ensemble does not wait for it to step down:
      // the delete goes on in the background (or dies with the session).
      await whileConnected(this.#zk, lock.release().catch(() => {}));
    }
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

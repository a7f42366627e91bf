/**
 * The direct children of one node and their decoded data, kept current
 * through one persistent recursive watch (what Curator 5.4's CuratorCache
 * does on ZooKeeper 3.6+). The engine of {@linkcode ServiceCache} and of
 * {@linkcode GroupMember}'s membership view; not exported.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { ClientClosedError, isRetryable, NoNodeError, NoWatcherError } from "../../lib/errors.ts";
import { sleep } from "../../lib/abort.ts";
import { joinPath } from "../../lib/paths.ts";
import type { WatchedEvent } from "../../lib/types.ts";
import { createParentContainers } from "./nodes.ts";

/** What a {@linkcode ChildrenCache} is told. */
export interface ChildrenCacheOptions<T> {
  /** Decodes a child's data; a throw leaves the child out and goes to `onError`. */
  decode: (data: Uint8Array, path: string) => T;
  /** Called after each change of the entries. */
  onChange: () => void;
  /** Receives undecodable children and unexpected errors. */
  onError: (error: unknown) => void;
}

/**
 * Children of `path` by name, with their decoded data. Events for a child
 * re-read that child; a reconnect (a `NONE` event) or the node's creation
 * re-reads them all. Reads run one at a time and repeats coalesce.
 */
export class ChildrenCache<T> {
  /** The watched node. */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #options: ChildrenCacheOptions<T>;
  readonly #stopped = new AbortController();
  readonly #entries = new Map<string, T>();
  #state: "latent" | "started" | "closed" = "latent";
  #watching = false;
  #fullReload = false;
  readonly #dirty = new Set<string>();
  #working: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(zk: ZooKeeperClientCore, path: string, options: ChildrenCacheOptions<T>) {
    this.#zk = zk;
    this.path = path;
    this.#options = options;
  }

  /** The entries now (a live map: copy it to keep it). */
  get entries(): ReadonlyMap<string, T> {
    return this.#entries;
  }

  /** Whether {@linkcode ChildrenCache.start} was called and not {@linkcode ChildrenCache.close}. */
  get started(): boolean {
    return this.#state === "started";
  }

  /**
   * Creates the node as a container if missing (Curator's `EnsureContainers`),
   * sets the watch and loads the children; retried through connection loss.
   */
  async start(signal?: AbortSignal): Promise<void> {
    this.#state = "started";
    try {
      await this.#zk.retry(async () => {
        await createParentContainers(this.#zk, joinPath(this.path, "x"), signal);
        if (!this.#watching) {
          await this.#zk.addWatch(this.path, this.#watcher, { recursive: true, signal });
          this.#watching = true;
        }
        await this.#load(signal);
      }, { maxTries: -1, signal });
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Stops and removes the server watch. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#state = "closed";
      this.#stopped.abort();
      await this.#working;
      if (!this.#watching) return;
      this.#watching = false;
      try {
        await this.#zk.removeWatches(this.path, {
          type: "persistentRecursive",
          watcher: this.#watcher,
        });
      } catch (error) {
        if (
          !(error instanceof NoWatcherError || error instanceof ClientClosedError ||
            isRetryable(error))
        ) {
          throw error;
        }
      }
    })();
  }

  async #load(signal?: AbortSignal): Promise<void> {
    let names: string[];
    try {
      names = await this.#zk.getChildren(this.path, { signal });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      names = [];
    }
    const read = await Promise.all(names.map((name) => this.#read(name, signal)));
    this.#entries.clear();
    names.forEach((name, i) => {
      const entry = read[i];
      if (entry !== undefined) this.#entries.set(name, entry.value);
    });
    this.#changed();
  }

  /** A child's decoded data, or undefined when it is gone or undecodable (reported). */
  async #read(name: string, signal?: AbortSignal): Promise<{ value: T } | undefined> {
    const path = joinPath(this.path, name);
    let data: Uint8Array;
    try {
      ({ data } = await this.#zk.get(path, { signal }));
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      if (isRetryable(error) || signal?.aborted) throw error;
      // NoAuth and the like: this child stays out, the others are fine.
      this.#options.onError(error);
      return undefined;
    }
    try {
      return { value: this.#options.decode(data, path) };
    } catch (error) {
      this.#options.onError(error);
      return undefined;
    }
  }

  #changed(): void {
    if (this.#state === "started") this.#options.onChange();
  }

  #schedule(): void {
    if (this.#state !== "started") return;
    this.#working ??= this.#work();
  }

  async #work(): Promise<void> {
    const signal = this.#stopped.signal;
    let delay = 20;
    try {
      while (this.#state === "started" && (this.#fullReload || this.#dirty.size > 0)) {
        try {
          if (this.#fullReload) {
            this.#fullReload = false;
            this.#dirty.clear();
            await this.#load(signal);
          } else {
            const [name] = this.#dirty;
            this.#dirty.delete(name);
            const entry = await this.#read(name, signal);
            if (entry !== undefined) {
              this.#entries.set(name, entry.value);
              this.#changed();
            } else if (this.#entries.delete(name)) {
              this.#changed();
            }
          }
          delay = 20;
        } catch (error) {
          if (this.#state !== "started") break;
          if (!isRetryable(error)) this.#options.onError(error);
          // Read everything again once the client is back.
          this.#fullReload = true;
          await sleep(delay, signal).catch(() => {});
          delay = Math.min(delay * 2, 1_000);
        }
      }
    } finally {
      this.#working = undefined;
    }
  }

  readonly #watcher = (event: WatchedEvent): void => {
    if (this.#state !== "started") return;
    if (event.type === "NONE") {
      // Back after a disconnect or an expiry: changes may have been missed.
      if (event.state !== "CONNECTED") return;
      this.#fullReload = true;
    } else if (event.path.startsWith(this.path + "/")) {
      const name = event.path.slice(this.path.length + 1);
      if (name.includes("/")) return; // a grandchild: not a member
      if (event.type === "DELETED") {
        if (this.#entries.delete(name)) this.#changed();
        // A read of it in flight may bring it back: read it again after that one.
        if (this.#working === undefined) return;
      }
      this.#dirty.add(name);
    } else if (event.type === "CREATED") {
      this.#fullReload = true;
    } else {
      return;
    }
    this.#schedule();
  };
}

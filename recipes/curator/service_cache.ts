/**
 * curator-x-discovery's `ServiceCache`: the instances of one service, kept
 * current through one persistent recursive watch on the service's node (as
 * Curator 5.4's CuratorCache does on ZooKeeper 3.6+), with change listeners
 * and an async iterable of snapshots.
 *
 * @module
 */

import type { ZooKeeperClient } from "../../lib/client.ts";
import {
  BadArgumentsError,
  ClientClosedError,
  ConnectionLossError,
  NoNodeError,
  NoWatcherError,
  SessionExpiredError,
} from "../../lib/errors.ts";
import { callListener, EventQueue } from "../../lib/events.ts";
import { sleep } from "../../lib/abort.ts";
import { joinPath } from "../../lib/paths.ts";
import type { CallOptions, WatchedEvent } from "../../lib/types.ts";
import { createParentContainers } from "./nodes.ts";
import { decodeServiceInstance, type ServiceInstance } from "./service_instance.ts";

/** Options of {@linkcode ServiceCache}. */
export interface ServiceCacheOptions {
  /** Receives listener errors and unreadable instances (default `console.error`). */
  onError?: (error: unknown) => void;
}

function transient(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof SessionExpiredError;
}

/**
 * The instances registered under `basePath/name`, kept current. Each change
 * (an instance registered, updated or gone) calls the listeners and yields a
 * snapshot to the iterators; instances whose JSON cannot be read are left
 * out and reported to `onError`, as Curator's cache does.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { ServiceDiscovery } from "@zk/client/curator";
 * await using discovery = new ServiceDiscovery(zk, { basePath: "/services" });
 * await using cache = discovery.serviceCache("api");
 * await cache.start();
 * console.log(cache.instances.map((i) => `${i.address}:${i.port}`));
 * for await (const instances of cache.changes({ signal: AbortSignal.timeout(60_000) })) {
 *   console.log(instances.length, "instances of api");
 * }
 * ```
 */
export class ServiceCache<P = unknown>
  implements AsyncIterable<ServiceInstance<P>[]>, AsyncDisposable {
  /** The service's node, `basePath/name`. */
  readonly path: string;
  /** The service's name. */
  readonly name: string;
  readonly #zk: ZooKeeperClient;
  readonly #onError: (error: unknown) => void;
  readonly #stopped = new AbortController();
  readonly #byNode = new Map<string, ServiceInstance<P>>();
  readonly #listeners = new Set<(instances: ServiceInstance<P>[]) => unknown>();
  readonly #queues = new Set<EventQueue<ServiceInstance<P>[]>>();
  #state: "latent" | "started" | "closed" = "latent";
  #watching = false;
  #fullReload = false;
  readonly #dirtyNodes = new Set<string>();
  #working: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Makes the cache; nothing is sent before {@linkcode ServiceCache.start}. */
  constructor(
    zk: ZooKeeperClient,
    basePath: string,
    name: string,
    options: ServiceCacheOptions = {},
  ) {
    if (name === "" || name.includes("/")) {
      throw new BadArgumentsError(`service name must be a non-empty name without "/": ${name}`);
    }
    this.#zk = zk;
    this.name = name;
    this.path = joinPath(basePath, name);
    this.#onError = options.onError ?? ((error) => console.error(error));
  }

  /** The instances now, in no particular order (Curator's `getInstances`). */
  get instances(): ServiceInstance<P>[] {
    return [...this.#byNode.values()];
  }

  /**
   * Creates the service's node as a container if it is missing (Curator's
   * `EnsureContainers`), sets the watch and loads the instances.
   */
  async start(options: CallOptions = {}): Promise<void> {
    if (this.#state !== "latent") {
      throw new BadArgumentsError(`ServiceCache ${this.path} was already started`);
    }
    this.#state = "started";
    const signal = options.signal;
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

  /** Calls `listener` with all instances after each change (Curator's `cacheChanged`). */
  addListener(listener: (instances: ServiceInstance<P>[]) => unknown): void {
    this.#listeners.add(listener);
  }

  /** Removes a listener added with {@linkcode ServiceCache.addListener}. */
  removeListener(listener: (instances: ServiceInstance<P>[]) => unknown): void {
    this.#listeners.delete(listener);
  }

  /**
   * The instances after each change from now on, as an async iterable ending
   * when `signal` aborts, the loop breaks or the cache is closed.
   */
  changes(options: CallOptions = {}): AsyncIterableIterator<ServiceInstance<P>[]> {
    const signal = options.signal;
    const onAbort = () => queue.stop();
    const queue: EventQueue<ServiceInstance<P>[]> = new EventQueue(() => {
      this.#queues.delete(queue);
      signal?.removeEventListener("abort", onAbort);
    });
    if (this.#state === "closed" || signal?.aborted) {
      queue.stop();
      return queue;
    }
    this.#queues.add(queue);
    signal?.addEventListener("abort", onAbort, { once: true });
    return queue;
  }

  /** The same as {@linkcode ServiceCache.changes} with no options. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ServiceInstance<P>[]> {
    return this.changes();
  }

  /** Stops: iterators end, the server watch is removed. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#state = "closed";
      this.#stopped.abort();
      for (const queue of [...this.#queues]) queue.stop();
      this.#listeners.clear();
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
            transient(error))
        ) {
          throw error;
        }
      }
    })();
  }

  /** The same as {@linkcode ServiceCache.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Reads every instance again and replaces the map. */
  async #load(signal?: AbortSignal): Promise<void> {
    let names: string[];
    try {
      names = await this.#zk.getChildren(this.path, { signal });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      names = [];
    }
    const read = await Promise.all(names.map((node) => this.#readInstance(node, signal)));
    const next = new Map<string, ServiceInstance<P>>();
    names.forEach((node, i) => {
      const instance = read[i];
      if (instance !== undefined) next.set(node, instance);
    });
    this.#byNode.clear();
    for (const [node, instance] of next) this.#byNode.set(node, instance);
    this.#notify();
  }

  /** One instance's JSON, or undefined when it is gone or unreadable (reported). */
  async #readInstance(node: string, signal?: AbortSignal): Promise<ServiceInstance<P> | undefined> {
    const path = joinPath(this.path, node);
    try {
      const { data } = await this.#zk.get(path, { signal });
      return decodeServiceInstance<P>(data, path);
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      if (transient(error) || signal?.aborted) throw error;
      this.#onError(error);
      return undefined;
    }
  }

  #notify(): void {
    if (this.#state !== "started") return;
    const snapshot = this.instances;
    for (const listener of [...this.#listeners]) callListener(listener, snapshot, this.#onError);
    for (const queue of this.#queues) queue.push(this.instances);
  }

  #schedule(): void {
    if (this.#state !== "started") return;
    this.#working ??= this.#work();
  }

  /** Applies the changes the watch announced, one read at a time, coalescing repeats. */
  async #work(): Promise<void> {
    const signal = this.#stopped.signal;
    let delay = 20;
    try {
      while (this.#state === "started" && (this.#fullReload || this.#dirtyNodes.size > 0)) {
        try {
          if (this.#fullReload) {
            this.#fullReload = false;
            this.#dirtyNodes.clear();
            await this.#load(signal);
          } else {
            const [node] = this.#dirtyNodes;
            this.#dirtyNodes.delete(node);
            const instance = await this.#readInstance(node, signal);
            if (instance !== undefined) {
              this.#byNode.set(node, instance);
              this.#notify();
            } else if (this.#byNode.delete(node)) {
              this.#notify();
            }
          }
          delay = 20;
        } catch (error) {
          if (this.#state !== "started") break;
          if (!transient(error)) this.#onError(error);
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
      // Disconnected or back: changes may have been missed.
      if (event.state === "CONNECTED") this.#fullReload = true;
      else return;
    } else if (event.path.startsWith(this.path + "/")) {
      const node = event.path.slice(this.path.length + 1);
      if (node.includes("/")) return; // below an instance: not Curator's business either
      if (event.type === "DELETED") {
        if (this.#byNode.delete(node)) this.#notify();
        // A read of it in flight may bring it back: read it again after that one.
        if (this.#working === undefined) return;
        this.#dirtyNodes.add(node);
      } else {
        this.#dirtyNodes.add(node);
      }
    } else if (event.type === "CREATED") {
      this.#fullReload = true;
    } else {
      return;
    }
    this.#schedule();
  };
}

/**
 * curator-x-discovery's `ServiceCache`: the instances of one service, kept
 * current through one persistent recursive watch on the service's node (as
 * Curator 5.4's CuratorCache does on ZooKeeper 3.6+), with change listeners
 * and an async iterable of snapshots.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import { callListener, EventQueue } from "../../lib/events.ts";
import { joinPath } from "../../lib/paths.ts";
import type { CallOptions } from "../../lib/types.ts";
import { ChildrenCache } from "./children_cache.ts";
import { decodeServiceInstance, type ServiceInstance } from "./service_instance.ts";

/** Options of {@linkcode ServiceCache}. */
export interface ServiceCacheOptions {
  /** Receives listener errors and unreadable instances (default `console.error`). */
  onError?: (error: unknown) => void;
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
  readonly #onError: (error: unknown) => void;
  readonly #children: ChildrenCache<ServiceInstance<P>>;
  readonly #listeners = new Set<(instances: ServiceInstance<P>[]) => unknown>();
  readonly #queues = new Set<EventQueue<ServiceInstance<P>[]>>();
  #state: "latent" | "started" | "closed" = "latent";
  #closing: Promise<void> | undefined;

  /** Makes the cache; nothing is sent before {@linkcode ServiceCache.start}. */
  constructor(
    zk: ZooKeeperClientCore,
    basePath: string,
    name: string,
    options: ServiceCacheOptions = {},
  ) {
    if (name === "" || name.includes("/")) {
      throw new BadArgumentsError(`service name must be a non-empty name without "/": ${name}`);
    }
    this.name = name;
    this.path = joinPath(basePath, name);
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#children = new ChildrenCache(zk, this.path, {
      decode: (data, path) => decodeServiceInstance<P>(data, path),
      onChange: () => this.#notify(),
      onError: this.#onError,
    });
  }

  /** The instances now, in no particular order (Curator's `getInstances`). */
  get instances(): ServiceInstance<P>[] {
    return [...this.#children.entries.values()];
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
    try {
      await this.#children.start(options.signal);
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
      for (const queue of [...this.#queues]) queue.stop();
      this.#listeners.clear();
      await this.#children.close();
    })();
  }

  /** The same as {@linkcode ServiceCache.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #notify(): void {
    if (this.#state !== "started") return;
    for (const listener of [...this.#listeners]) {
      callListener(listener, this.instances, this.#onError);
    }
    for (const queue of this.#queues) queue.push(this.instances);
  }
}

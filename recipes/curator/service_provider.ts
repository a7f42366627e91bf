/**
 * curator-x-discovery's provider strategies and `ServiceProvider`: pick one
 * instance of a service from a {@linkcode ServiceCache}, leaving out disabled
 * instances and those recently reported down.
 *
 * @module
 */

import type { CallOptions } from "../../lib/types.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import type { ServiceCache } from "./service_cache.ts";
import type { ServiceInstance } from "./service_instance.ts";

/** Picks one instance from a list, or null when it is empty (Curator's `ProviderStrategy`). */
export interface ProviderStrategy<P = unknown> {
  /** The chosen instance, or null for an empty list. */
  getInstance(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | null;
}

/**
 * Each instance in turn, Curator's `RoundRobinStrategy` (the default).
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { RoundRobinStrategy, serviceInstance } from "@zk/client/curator";
 * const strategy = new RoundRobinStrategy();
 * const all = [serviceInstance({ name: "api", id: "a" }), serviceInstance({ name: "api", id: "b" })];
 * strategy.getInstance(all)?.id; // "a", then "b", then "a"...
 * ```
 */
export class RoundRobinStrategy<P = unknown> implements ProviderStrategy<P> {
  #next = 0;

  /** The next instance in turn. */
  getInstance(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | null {
    if (instances.length === 0) return null;
    const index = this.#next % instances.length;
    this.#next = (this.#next + 1) % Number.MAX_SAFE_INTEGER;
    return instances[index];
  }
}

/**
 * A uniformly random instance, Curator's `RandomStrategy`.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { RandomStrategy } from "@zk/client/curator";
 * const pick = new RandomStrategy().getInstance([]); // null
 * ```
 */
export class RandomStrategy<P = unknown> implements ProviderStrategy<P> {
  /** A random instance. */
  getInstance(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | null {
    if (instances.length === 0) return null;
    return instances[Math.floor(Math.random() * instances.length)];
  }
}

/**
 * The same instance for as long as it is in the list (same id), else one
 * chosen by `master`, Curator's `StickyStrategy`.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { RoundRobinStrategy, StickyStrategy } from "@zk/client/curator";
 * const sticky = new StickyStrategy(new RoundRobinStrategy());
 * ```
 */
export class StickyStrategy<P = unknown> implements ProviderStrategy<P> {
  readonly #master: ProviderStrategy<P>;
  #current: ServiceInstance<P> | null = null;
  #switches = 0;

  /** `master` chooses when the current instance is gone. */
  constructor(master: ProviderStrategy<P>) {
    this.#master = master;
  }

  /** How many times a new instance was chosen (Curator's `getInstanceNumber`). */
  get instanceNumber(): number {
    return this.#switches;
  }

  /** The current instance while it is listed, else `master`'s choice. */
  getInstance(instances: readonly ServiceInstance<P>[]): ServiceInstance<P> | null {
    const current = this.#current;
    const still = current &&
      instances.find((i) => i.id === current.id && i.name === current.name);
    if (still) return still;
    this.#current = this.#master.getInstance(instances);
    if (this.#current !== null) this.#switches++;
    return this.#current;
  }
}

/** Options of {@linkcode ServiceProvider}. */
export interface ServiceProviderOptions<P = unknown> {
  /** How to choose (default {@linkcode RoundRobinStrategy}). */
  strategy?: ProviderStrategy<P>;
  /** More filters, applied first; an instance must pass all of them. */
  filters?: readonly ((instance: ServiceInstance<P>) => boolean)[];
  /**
   * Curator's `DownInstancePolicy`: after `errorThreshold` calls of
   * {@linkcode ServiceProvider.noteError} (default 2) an instance is left out
   * until `timeout` ms (default 30000) after its first error.
   */
  downInstancePolicy?: { timeout?: number; errorThreshold?: number };
}

/**
 * One instance of a service at a time, chosen by a strategy among the
 * enabled, not-down instances of a {@linkcode ServiceCache}, Curator's
 * `ServiceProvider`.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { RandomStrategy, ServiceDiscovery } from "@zk/client/curator";
 * await using discovery = new ServiceDiscovery(zk, { basePath: "/services" });
 * await using provider = discovery.serviceProvider("api", { strategy: new RandomStrategy() });
 * await provider.start();
 * const target = provider.getInstance();
 * if (target) console.log(`http://${target.address}:${target.port}/`);
 * ```
 */
export class ServiceProvider<P = unknown> implements AsyncDisposable {
  /** The cache the provider chooses from. */
  readonly cache: ServiceCache<P>;
  readonly #strategy: ProviderStrategy<P>;
  readonly #filters: readonly ((instance: ServiceInstance<P>) => boolean)[];
  readonly #timeout: number;
  readonly #threshold: number;
  readonly #errors = new Map<string, { count: number; since: number }>();

  /** A provider over `cache` (started and closed with it). */
  constructor(cache: ServiceCache<P>, options: ServiceProviderOptions<P> = {}) {
    this.cache = cache;
    this.#strategy = options.strategy ?? new RoundRobinStrategy<P>();
    this.#filters = options.filters ?? [];
    this.#timeout = options.downInstancePolicy?.timeout ?? 30_000;
    this.#threshold = options.downInstancePolicy?.errorThreshold ?? 2;
    if (!(this.#timeout >= 0) || !(Number.isInteger(this.#threshold) && this.#threshold >= 1)) {
      throw new BadArgumentsError("downInstancePolicy: timeout >= 0 and errorThreshold >= 1");
    }
  }

  /** Starts the cache. */
  start(options: CallOptions = {}): Promise<void> {
    return this.cache.start(options);
  }

  /** Every instance that passes the filters now. */
  getAllInstances(): ServiceInstance<P>[] {
    return this.cache.instances.filter((instance) =>
      this.#filters.every((filter) => filter(instance)) && !this.#isDown(instance) &&
      instance.enabled
    );
  }

  /** The strategy's choice among {@linkcode ServiceProvider.getAllInstances}, or null. */
  getInstance(): ServiceInstance<P> | null {
    return this.#strategy.getInstance(this.getAllInstances());
  }

  /** Reports that calling `instance` failed (Curator's `noteError`). */
  noteError(instance: ServiceInstance<P>): void {
    const key = `${instance.name}/${instance.id}`;
    const now = Date.now();
    const entry = this.#errors.get(key);
    if (entry === undefined || now - entry.since >= this.#timeout) {
      this.#errors.set(key, { count: 1, since: now });
    } else {
      entry.count++;
    }
  }

  /** Closes the cache. */
  close(): Promise<void> {
    return this.cache.close();
  }

  /** The same as {@linkcode ServiceProvider.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #isDown(instance: ServiceInstance<P>): boolean {
    const key = `${instance.name}/${instance.id}`;
    const entry = this.#errors.get(key);
    if (entry === undefined) return false;
    if (Date.now() - entry.since >= this.#timeout) {
      this.#errors.delete(key);
      return false;
    }
    return entry.count >= this.#threshold;
  }
}

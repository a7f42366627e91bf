/**
 * curator-x-discovery's `ServiceDiscovery`: services register JSON
 * `ServiceInstance` records under `basePath/<name>/<id>` and find each other
 * there. Java services using Curator and TypeScript services using this class
 * see the same instances, znode for znode.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { BadArgumentsError, NoNodeError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import type { CallOptions } from "../../lib/types.ts";
import { PersistentNode, PersistentNodeMode } from "./persistent_node.ts";
import { ServiceCache } from "./service_cache.ts";
import { ServiceProvider, type ServiceProviderOptions } from "./service_provider.ts";
import {
  decodeServiceInstance,
  encodeServiceInstance,
  type ServiceInstance,
  ServiceType,
} from "./service_instance.ts";

/** Options of {@linkcode ServiceDiscovery}. */
export interface ServiceDiscoveryOptions {
  /** The folder of all services (Curator's required `basePath`). */
  basePath: string;
  /**
   * The Java class of payloads, for Java readers whose payload class is a
   * POJO: written as `"@class"` into object payloads that have none (e.g.
   * `"com.example.InstanceDetails"`). Readers with a `Map` payload class need
   * none. Default: payloads are written as given.
   */
  payloadClass?: string;
  /** Receives background errors of registrations and caches (default `console.error`). */
  onError?: (error: unknown) => void;
}

/**
 * Registration and lookup of service instances in curator-x-discovery's
 * layout. An instance registered here lives in a {@linkcode PersistentNode}:
 * a `DYNAMIC` one is ephemeral and comes back by itself after a session
 * expiry (Curator re-registers the same way), with the latest data.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { ServiceDiscovery, serviceInstance } from "@zk/client/curator";
 * await using discovery = new ServiceDiscovery(zk, { basePath: "/services" });
 * const me = serviceInstance({ name: "api", address: "10.0.0.5", port: 8080, payload: { zone: "a" } });
 * await discovery.registerService(me);
 * console.log(await discovery.queryForNames()); // ["api", ...]
 * for (const instance of await discovery.queryForInstances("api")) console.log(instance.id);
 * ```
 */
export class ServiceDiscovery implements AsyncDisposable {
  /** The folder of all services. */
  readonly basePath: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #payloadClass: string | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #registered = new Map<string, PersistentNode>();
  readonly #closeables = new Set<AsyncDisposable>();
  #closing: Promise<void> | undefined;

  /** Makes the discovery; nothing is sent before the first call. */
  constructor(zk: ZooKeeperClientCore, options: ServiceDiscoveryOptions) {
    validatePath(options.basePath);
    this.#zk = zk;
    this.basePath = options.basePath;
    this.#payloadClass = options.payloadClass;
    this.#onError = options.onError ?? ((error) => console.error(error));
  }

  /**
   * Registers `instance` and resolves once its node exists. Registering an
   * id registered before replaces its data. Aborting gives up and removes
   * what was made.
   */
  async registerService(
    instance: ServiceInstance<unknown>,
    options: CallOptions = {},
  ): Promise<void> {
    this.#checkOpen();
    const key = this.#key(instance);
    const known = this.#registered.get(key);
    if (known !== undefined) {
      await known.setData(this.#encode(instance), options);
      return;
    }
    const mode = instance.serviceType === ServiceType.DYNAMIC
      ? PersistentNodeMode.EPHEMERAL
      : instance.serviceType === ServiceType.DYNAMIC_SEQUENTIAL
      ? PersistentNodeMode.EPHEMERAL_SEQUENTIAL
      : PersistentNodeMode.PERSISTENT;
    const node = new PersistentNode(this.#zk, this.#pathOf(instance), this.#encode(instance), {
      mode,
      onError: this.#onError,
    });
    this.#registered.set(key, node);
    node.start();
    try {
      await node.waitForInitialCreate({ signal: options.signal });
    } catch (error) {
      this.#registered.delete(key);
      await node.close();
      throw error;
    }
  }

  /**
   * Writes the new data of an instance registered through this discovery
   * (Curator's `updateService`); re-registrations keep it.
   *
   * @throws {BadArgumentsError} when the instance was not registered here.
   */
  async updateService(
    instance: ServiceInstance<unknown>,
    options: CallOptions = {},
  ): Promise<void> {
    this.#checkOpen();
    const node = this.#registered.get(this.#key(instance));
    if (node === undefined) {
      throw new BadArgumentsError(
        `service ${instance.name}/${instance.id} is not registered through this discovery`,
      );
    }
    await node.setData(this.#encode(instance), options);
  }

  /**
   * Removes an instance's node, whoever registered it (Curator's
   * `unregisterService`), retried through connection loss.
   */
  async unregisterService(
    instance: ServiceInstance<unknown>,
    options: CallOptions = {},
  ): Promise<void> {
    const key = this.#key(instance);
    const node = this.#registered.get(key);
    if (node !== undefined) {
      this.#registered.delete(key);
      await node.close();
      return;
    }
    try {
      await this.#zk.retry(() => this.#zk.delete(this.#pathOf(instance), options), {
        maxTries: -1,
        signal: options.signal,
      });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** The names of all services (the children of `basePath`; none when it is missing). */
  async queryForNames(options: CallOptions = {}): Promise<string[]> {
    try {
      return await this.#zk.getChildren(this.basePath, options);
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /**
   * Every instance of service `name`, skipping those deleted while being read.
   *
   * @throws {DataInconsistencyError} when an instance's JSON cannot be read (as Curator).
   */
  async queryForInstances<P = unknown>(
    name: string,
    options: CallOptions = {},
  ): Promise<ServiceInstance<P>[]> {
    const folder = joinPath(this.basePath, checkName(name));
    let nodes: string[];
    try {
      nodes = await this.#zk.getChildren(folder, options);
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    const found = await Promise.all(
      nodes.map((node) => this.#read<P>(joinPath(folder, node), options)),
    );
    return found.filter((instance): instance is ServiceInstance<P> => instance !== null);
  }

  /** The instance `id` of service `name`, or null. */
  queryForInstance<P = unknown>(
    name: string,
    id: string,
    options: CallOptions = {},
  ): Promise<ServiceInstance<P> | null> {
    return this.#read<P>(
      joinPath(joinPath(this.basePath, checkName(name)), checkName(id)),
      options,
    );
  }

  /**
   * A cache of service `name`'s instances, closed with this discovery
   * (Curator's `serviceCacheBuilder().name(name).build()`); start it.
   */
  serviceCache<P = unknown>(name: string): ServiceCache<P> {
    this.#checkOpen();
    const cache = new ServiceCache<P>(this.#zk, this.basePath, name, { onError: this.#onError });
    this.#closeables.add(cache);
    return cache;
  }

  /**
   * A provider of service `name`'s instances, closed with this discovery
   * (Curator's `serviceProviderBuilder()`); start it.
   */
  serviceProvider<P = unknown>(
    name: string,
    options: ServiceProviderOptions<P> = {},
  ): ServiceProvider<P> {
    return new ServiceProvider(this.serviceCache<P>(name), options);
  }

  /** Closes the caches made here and unregisters every instance registered here. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const nodes = [...this.#registered.values()];
      this.#registered.clear();
      const closeables = [...this.#closeables];
      this.#closeables.clear();
      const results = await Promise.allSettled([
        ...closeables.map((c) => c[Symbol.asyncDispose]()),
        ...nodes.map((node) => node.close()),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    })();
  }

  /** The same as {@linkcode ServiceDiscovery.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #read<P>(path: string, options: CallOptions): Promise<ServiceInstance<P> | null> {
    try {
      const { data } = await this.#zk.get(path, options);
      return decodeServiceInstance<P>(data, path);
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  #checkOpen(): void {
    if (this.#closing) throw new BadArgumentsError(`ServiceDiscovery ${this.basePath} is closed`);
  }

  #key(instance: ServiceInstance<unknown>): string {
    return `${checkName(instance.name)}/${checkName(instance.id)}`;
  }

  #pathOf(instance: ServiceInstance<unknown>): string {
    return joinPath(joinPath(this.basePath, checkName(instance.name)), checkName(instance.id));
  }

  #encode(instance: ServiceInstance<unknown>): Uint8Array {
    const payload = instance.payload;
    if (
      this.#payloadClass === undefined || payload === null || typeof payload !== "object" ||
      Array.isArray(payload) || "@class" in payload
    ) {
      return encodeServiceInstance(instance);
    }
    // Jackson reads the type id from "@class", written first.
    return encodeServiceInstance({
      ...instance,
      payload: { "@class": this.#payloadClass, ...payload },
    });
  }
}

function checkName(name: string): string {
  if (typeof name !== "string" || name === "" || name.includes("/")) {
    throw new BadArgumentsError(`a service name or id must be non-empty, without "/": ${name}`);
  }
  return name;
}

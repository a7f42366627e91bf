/**
 * Apache Curator's recipes, in Curator's znode formats, so TypeScript
 * services and Java services using Curator 5.4 cooperate on the same paths:
 * they exclude each other, count leases and elect one leader between them.
 * The class names are Curator's. (The recipes in `@zk/client` itself use
 * kazoo's formats; see the README for which to choose.)
 *
 * @example
 * ```ts
 * import { InterProcessMutex } from "@zk/client/curator";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * await using lock = await new InterProcessMutex(zk, "/locks/jobs").acquire();
 * ```
 *
 * @module
 */

export type { CallOptions } from "../../lib/types.ts";

// Counters, PersistentNode, ServiceDiscovery, GroupMember.
export { SharedCount, type SharedCountOptions, type VersionedValue } from "./shared_count.ts";
export {
  type AtomicValue,
  DistributedAtomicLong,
  type DistributedAtomicLongOptions,
} from "./atomic_long.ts";
export {
  PersistentNode,
  PersistentNodeMode,
  type PersistentNodeOptions,
  type WaitForInitialCreateOptions,
} from "./persistent_node.ts";
export { GroupMember, type GroupMemberOptions } from "./group_member.ts";
export { ServiceDiscovery, type ServiceDiscoveryOptions } from "./service_discovery.ts";
export { ServiceCache, type ServiceCacheOptions } from "./service_cache.ts";
export {
  type ProviderStrategy,
  RandomStrategy,
  RoundRobinStrategy,
  ServiceProvider,
  type ServiceProviderOptions,
  StickyStrategy,
} from "./service_provider.ts";
export {
  decodeServiceInstance,
  encodeServiceInstance,
  type ServiceInstance,
  serviceInstance,
  type ServiceInstanceInit,
  ServiceType,
  UriSpec,
  type UriSpecPart,
} from "./service_instance.ts";

// Locks, semaphore and elections.
export {
  InterProcessMutex,
  type InterProcessMutexOptions,
  type LockHandle,
  type MutexAcquireOptions,
  type PredicateResult,
} from "./mutex.ts";
export { InterProcessReadWriteLock } from "./read_write_lock.ts";
export {
  InterProcessSemaphoreV2,
  type InterProcessSemaphoreV2Options,
  type SemaphoreV2AcquireOptions,
  type SharedCountSource,
} from "./semaphore.ts";
export {
  LeaderLatch,
  type LeaderLatchOptions,
  type LeaderLatchState,
  type Participant,
} from "./leader_latch.ts";
export {
  LeaderSelector,
  type LeaderSelectorListener,
  type LeaderSelectorOptions,
  type LeaderSelectorState,
} from "./leader_selector.ts";

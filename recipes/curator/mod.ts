/**
 * Apache Curator's recipes in Curator 5.4's znode formats, so TypeScript
 * services and Java services using Curator cooperate on the same paths.
 *
 * @module
 */

export type { CallOptions } from "../../lib/types.ts";

// Counters, PersistentNode, ServiceDiscovery, GroupMember (curator-b).
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

/**
 * The recipes: kazoo's set, with kazoo's znode names and data so that
 * services using kazoo and services using @zk/client cooperate on the same
 * paths. Each is also available as a factory on the client (`zk.lock(...)`).
 *
 * @module
 */
export {
  type AcquireOptions,
  Lock,
  type LockHandle,
  type LockOptions,
  LockReentryError,
  ReadLock,
  type TryAcquireOptions,
  WriteLock,
} from "./lock.ts";
export { Semaphore, type SemaphoreAcquireOptions, type SemaphoreOptions } from "./semaphore.ts";
export { Election, type ElectionOptions, type ElectionRunOptions } from "./election.ts";
export { type LeaseOptions, MultiNonBlockingLease, NonBlockingLease } from "./lease.ts";
export { Barrier, type BarrierWaitOptions, DoubleBarrier } from "./barrier.ts";
export { Counter, type CounterEncoding, type CounterOptions, type CounterType } from "./counter.ts";
export { BaseParty, Party, ShallowParty } from "./party.ts";
export {
  type Acquisition,
  defaultPartitionFunction,
  type PartitionFunction,
  PartitionState,
  SetPartitioner,
  type SetPartitionerOptions,
} from "./partitioner.ts";
export {
  BaseQueue,
  LockingQueue,
  type LockingQueueGetOptions,
  Queue,
  type QueuePutOptions,
} from "./queue.ts";
export {
  DataWatch,
  type DataWatchFunction,
  type DataWatchValue,
  WatchRecipe,
  type WatchRecipeOptions,
  type WatchVerdict,
} from "./data_watch.ts";
export {
  ChildrenWatch,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
  type ChildrenWatchValue,
} from "./children_watch.ts";
export {
  TreeCache,
  type TreeCacheEvent,
  TreeCacheEventType,
  type TreeCacheListener,
  type TreeCacheNode,
  type TreeCacheOptions,
  type TreeCacheWatchMode,
} from "./tree_cache.ts";

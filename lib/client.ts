/**
 * The client applications use: {@linkcode ZooKeeperClient} is the core
 * ({@linkcode ZooKeeperClientCore}) with the runtime's transport as the
 * default and kazoo-style recipe factories (`zk.lock(...)` like kazoo's
 * `client.Lock(...)`), and {@linkcode connect} makes one and connects it.
 * The recipes take the core, so this is the only module where the client
 * and the recipes meet.
 *
 * @module
 */

import { ZooKeeperClientCore, type ZooKeeperClientOptions } from "./core.ts";
import type { CallOptions } from "./types.ts";
import { defaultTransport } from "./transport/mod.ts";
import { Lock, ReadLock, WriteLock } from "../recipes/lock.ts";
import { Semaphore } from "../recipes/semaphore.ts";
import { Election } from "../recipes/election.ts";
import { MultiNonBlockingLease, NonBlockingLease } from "../recipes/lease.ts";
import { Barrier, DoubleBarrier } from "../recipes/barrier.ts";
import { Counter, type CounterOptions } from "../recipes/counter.ts";
import { Party, ShallowParty } from "../recipes/party.ts";
import { SetPartitioner, type SetPartitionerOptions } from "../recipes/partitioner.ts";
import { LockingQueue, Queue } from "../recipes/queue.ts";
import {
  DataWatch,
  type DataWatchFunction,
  type WatchRecipeOptions,
} from "../recipes/data_watch.ts";
import {
  ChildrenWatch,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
} from "../recipes/children_watch.ts";
import { TreeCache, type TreeCacheOptions } from "../recipes/tree_cache.ts";
import {
  DistributedAtomicLong,
  type DistributedAtomicLongOptions,
  GroupMember,
  type GroupMemberOptions,
  InterProcessMutex,
  type InterProcessMutexOptions,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
  type InterProcessSemaphoreV2Options,
  LeaderLatch,
  type LeaderLatchOptions,
  LeaderSelector,
  type LeaderSelectorListener,
  type LeaderSelectorOptions,
  PersistentNode,
  type PersistentNodeOptions,
  ServiceDiscovery,
  type ServiceDiscoveryOptions,
  SharedCount,
  type SharedCountOptions,
} from "../recipes/curator/mod.ts";

export type {
  ClientIdentity,
  CreateOptions,
  Data,
  GetChildrenOptions,
  NodeData,
  OwnershipPolicy,
  PersistentWatchOptions,
  ReadOp,
  ReadResult,
  WatchOptions,
  ZooKeeperClientOptions,
} from "./core.ts";

/**
 * A ZooKeeper client. Make one with {@linkcode connect}, or construct it and
 * call {@linkcode ZooKeeperClientCore.start}. Every method returns a promise
 * and takes `{signal}`; paths are the client's (under the chroot, if any).
 *
 * @example
 * ```ts
 * import { connect } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181/app");
 * await zk.create("/config", "v1");
 * const { data } = await zk.get("/config");
 * await using held = await zk.lock("/locks/config", "me").acquire();
 * ```
 */
export class ZooKeeperClient extends ZooKeeperClientCore {
  /** Checks the options; nothing is connected until `start()`. The transport defaults to the runtime's. */
  constructor(options: ZooKeeperClientOptions) {
    super({ ...options, transport: options?.transport ?? defaultTransport() });
  }

  // ---- recipe factories (kazoo's client.Lock(...) and friends) -------------

  /** A {@linkcode Lock} on `path` (kazoo's `client.Lock`). */
  lock(path: string, identifier = ""): Lock {
    return new Lock(this, path, identifier);
  }
  /** A {@linkcode ReadLock} on `path` (kazoo's `client.ReadLock`). */
  readLock(path: string, identifier = ""): ReadLock {
    return new ReadLock(this, path, identifier);
  }
  /** A {@linkcode WriteLock} on `path` (kazoo's `client.WriteLock`). */
  writeLock(path: string, identifier = ""): WriteLock {
    return new WriteLock(this, path, identifier);
  }
  /** A {@linkcode Semaphore} with `maxLeases` leases (kazoo's `client.Semaphore`). */
  semaphore(path: string, identifier = "", maxLeases = 1): Semaphore {
    return new Semaphore(this, path, identifier, maxLeases);
  }
  /** An {@linkcode Election} on `path` (kazoo's `client.Election`). */
  election(path: string, identifier = ""): Election {
    return new Election(this, path, identifier);
  }
  /** A {@linkcode NonBlockingLease} of `duration` ms (kazoo's `client.NonBlockingLease`). */
  nonBlockingLease(path: string, duration: number, identifier: string): NonBlockingLease {
    return new NonBlockingLease(this, path, duration, identifier);
  }
  /** A {@linkcode MultiNonBlockingLease} of `count` leases (kazoo's `client.MultiNonBlockingLease`). */
  multiNonBlockingLease(
    count: number,
    path: string,
    duration: number,
    identifier: string,
  ): MultiNonBlockingLease {
    return new MultiNonBlockingLease(this, count, path, duration, identifier);
  }
  /** A {@linkcode Barrier} on `path` (kazoo's `client.Barrier`). */
  barrier(path: string): Barrier {
    return new Barrier(this, path);
  }
  /** A {@linkcode DoubleBarrier} for `numClients` (kazoo's `client.DoubleBarrier`). */
  doubleBarrier(path: string, numClients: number, identifier?: string): DoubleBarrier {
    return new DoubleBarrier(this, path, numClients, identifier);
  }
  /** A {@linkcode Counter} at `path` (kazoo's `client.Counter`). */
  counter(path: string, options?: CounterOptions): Counter {
    return new Counter(this, path, options);
  }
  /** A {@linkcode Party} at `path` (kazoo's `client.Party`). */
  party(path: string, identifier = ""): Party {
    return new Party(this, path, identifier);
  }
  /** A {@linkcode ShallowParty} at `path` (kazoo's `client.ShallowParty`). */
  shallowParty(path: string, identifier = ""): ShallowParty {
    return new ShallowParty(this, path, identifier);
  }
  /** A {@linkcode SetPartitioner} of `set` (kazoo's `client.SetPartitioner`). */
  setPartitioner<T = string>(
    path: string,
    set: Iterable<T>,
    options?: SetPartitionerOptions<T>,
  ): SetPartitioner<T> {
    return new SetPartitioner<T>(this, path, set, options);
  }
  /** A {@linkcode Queue} at `path` (kazoo's `client.Queue`). */
  queue(path: string): Queue {
    return new Queue(this, path);
  }
  /** A {@linkcode LockingQueue} at `path` (kazoo's `client.LockingQueue`). */
  lockingQueue(path: string): LockingQueue {
    return new LockingQueue(this, path);
  }
  /** A {@linkcode DataWatch} calling `fn` with the node's data now and on every change. */
  dataWatch(path: string, fn: DataWatchFunction, options?: WatchRecipeOptions): DataWatch {
    return new DataWatch(this, path, fn, options);
  }
  /** A {@linkcode ChildrenWatch} calling `fn` with the node's children now and on every change. */
  childrenWatch(
    path: string,
    fn: ChildrenWatchFunction,
    options?: ChildrenWatchOptions,
  ): ChildrenWatch {
    return new ChildrenWatch(this, path, fn, options);
  }
  /** A {@linkcode TreeCache} of the subtree at `path` (call `start()`). */
  treeCache(path: string, options?: TreeCacheOptions): TreeCache {
    return new TreeCache(this, path, options);
  }

  // ---- Curator's recipes (`@zk/client/curator`) -----------------------------

  /** An {@linkcode InterProcessMutex} on `path` (Curator's lock format). */
  interProcessMutex(path: string, options?: InterProcessMutexOptions): InterProcessMutex {
    return new InterProcessMutex(this, path, options);
  }
  /** An {@linkcode InterProcessReadWriteLock} on `path` (Curator's format). */
  interProcessReadWriteLock(
    path: string,
    options?: InterProcessMutexOptions,
  ): InterProcessReadWriteLock {
    return new InterProcessReadWriteLock(this, path, options);
  }
  /** An {@linkcode InterProcessSemaphoreV2} on `path` (Curator's format). */
  interProcessSemaphoreV2(
    path: string,
    options: InterProcessSemaphoreV2Options,
  ): InterProcessSemaphoreV2 {
    return new InterProcessSemaphoreV2(this, path, options);
  }
  /** A {@linkcode LeaderLatch} on `path` (Curator's format; call `start()`). */
  leaderLatch(path: string, options?: LeaderLatchOptions): LeaderLatch {
    return new LeaderLatch(this, path, options);
  }
  /** A {@linkcode LeaderSelector} on `path` calling `listener` while leader (call `start()`). */
  leaderSelector(
    path: string,
    listener: LeaderSelectorListener,
    options?: LeaderSelectorOptions,
  ): LeaderSelector {
    return new LeaderSelector(this, path, listener, options);
  }
  /** A {@linkcode SharedCount} at `path`, `seed` when it is created (call `start()`). */
  sharedCount(path: string, seed: number, options?: SharedCountOptions): SharedCount {
    return new SharedCount(this, path, seed, options);
  }
  /** A {@linkcode DistributedAtomicLong} at `path` (Curator's 8-byte format). */
  distributedAtomicLong(
    path: string,
    options?: DistributedAtomicLongOptions,
  ): DistributedAtomicLong {
    return new DistributedAtomicLong(this, path, options);
  }
  /** A {@linkcode PersistentNode} at `basePath` holding `data` (call `start()`). */
  persistentNode(
    basePath: string,
    data: Uint8Array | string,
    options?: PersistentNodeOptions,
  ): PersistentNode {
    return new PersistentNode(this, basePath, data, options);
  }
  /** A {@linkcode ServiceDiscovery} under `options.basePath` (curator-x-discovery's format). */
  serviceDiscovery(options: ServiceDiscoveryOptions): ServiceDiscovery {
    return new ServiceDiscovery(this, options);
  }
  /** A {@linkcode GroupMember} `id` of the group at `membershipPath` (call `start()`). */
  groupMember(
    membershipPath: string,
    id: string,
    payload?: Uint8Array | string,
    options?: GroupMemberOptions,
  ): GroupMember {
    return new GroupMember(this, membershipPath, id, payload, options);
  }
}

/**
 * Makes a client and connects it: resolves once a session is established.
 *
 * @example
 * ```ts
 * import { connect } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181", { sessionTimeout: 10_000 });
 * console.log(await zk.getChildren("/"));
 * ```
 */
export async function connect(
  hosts: string,
  options: Omit<ZooKeeperClientOptions, "hosts"> & CallOptions = {},
): Promise<ZooKeeperClient> {
  const { signal, ...rest } = options;
  const client = new ZooKeeperClient({ ...rest, hosts });
  await client.start({ signal });
  return client;
}

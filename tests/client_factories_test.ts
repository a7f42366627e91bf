/** The client's recipe factories build the recipe classes, kazoo-style (`zk.lock(path)`). */
import assert from "node:assert/strict";
import {
  Barrier,
  Counter,
  DoubleBarrier,
  Election,
  Lock,
  LockingQueue,
  MultiNonBlockingLease,
  NonBlockingLease,
  Party,
  Queue,
  ReadLock,
  Semaphore,
  SetPartitioner,
  ShallowParty,
  TreeCache,
  WriteLock,
  ZooKeeperClient,
} from "../mod.ts";
import {
  DistributedAtomicLong,
  GroupMember,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
  LeaderLatch,
  LeaderSelector,
  PersistentNode,
  ServiceDiscovery,
  SharedCount,
} from "../recipes/curator/mod.ts";

Deno.test({
  name: "every recipe has a factory on the client",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    // Never started: factories only build objects (SetPartitioner starts
    // joining at once; closing the client ends its wait for a session).
    await using zk = new ZooKeeperClient({ hosts: "127.0.0.1:1" });
    assert.ok(zk.lock("/l", "me") instanceof Lock);
    assert.ok(zk.readLock("/rw") instanceof ReadLock);
    assert.ok(zk.writeLock("/rw") instanceof WriteLock);
    assert.ok(zk.semaphore("/s", "me", 3) instanceof Semaphore);
    assert.ok(zk.election("/e", "me") instanceof Election);
    assert.ok(zk.nonBlockingLease("/lease", 1000, "me") instanceof NonBlockingLease);
    assert.ok(zk.multiNonBlockingLease(2, "/leases", 1000, "me") instanceof MultiNonBlockingLease);
    assert.ok(zk.barrier("/b") instanceof Barrier);
    assert.ok(zk.doubleBarrier("/db", 3) instanceof DoubleBarrier);
    assert.ok(zk.counter("/c") instanceof Counter);
    assert.ok(zk.party("/p", "me") instanceof Party);
    assert.ok(zk.shallowParty("/sp", "me") instanceof ShallowParty);
    assert.ok(
      zk.setPartitioner("/sets", ["a", "b"], { identifier: "me" }) instanceof SetPartitioner,
    );
    assert.ok(zk.queue("/q") instanceof Queue);
    assert.ok(zk.lockingQueue("/lq") instanceof LockingQueue);
    assert.ok(zk.treeCache("/tree", { maxDepth: 3 }) instanceof TreeCache);
  },
});

Deno.test("every Curator recipe has a factory on the client", async () => {
  await using zk = new ZooKeeperClient({ hosts: "127.0.0.1:1" });
  assert.ok(zk.interProcessMutex("/m") instanceof InterProcessMutex);
  assert.ok(zk.interProcessReadWriteLock("/rw") instanceof InterProcessReadWriteLock);
  assert.ok(zk.interProcessSemaphoreV2("/s", { maxLeases: 2 }) instanceof InterProcessSemaphoreV2);
  assert.ok(zk.leaderLatch("/latch", { id: "me" }) instanceof LeaderLatch);
  assert.ok(zk.leaderSelector("/sel", async () => {}) instanceof LeaderSelector);
  assert.ok(zk.sharedCount("/count", 0) instanceof SharedCount);
  assert.ok(zk.distributedAtomicLong("/long") instanceof DistributedAtomicLong);
  assert.ok(zk.persistentNode("/node", "data") instanceof PersistentNode);
  assert.ok(zk.serviceDiscovery({ basePath: "/services" }) instanceof ServiceDiscovery);
  assert.ok(zk.groupMember("/group", "me") instanceof GroupMember);
});

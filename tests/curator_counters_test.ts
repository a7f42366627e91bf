/**
 * Curator's counters shared with real Curator 5.4 processes: SharedCount
 * (4-byte int, compare-and-set on the version) and DistributedAtomicLong
 * (8-byte long), with concurrent adds from both sides that must sum exactly.
 */
import assert from "node:assert/strict";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import {
  BadArgumentsError,
  DataInconsistencyError,
  DistributedAtomicLong,
  SharedCount,
  type ZooKeeperClient,
} from "../mod.ts";
import { CuratorTool } from "./curator/tool.ts";
import { watchedPaths, within } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

const ADDS = 60;

async function curatorCounting(
  t: Deno.TestContext,
  mode: "shared-count" | "atomic-long",
  path: string,
): Promise<CuratorTool> {
  const cluster = await fixture.cluster();
  const hosts = cluster.connectionString({ chroot: fixture.chroot(t) });
  const tool = await CuratorTool.start("CountTool.java", [hosts, mode, path, String(ADDS), "/go"]);
  await tool.next((r) => r.event === "ready", "Curator ready");
  return tool;
}

Deno.test({
  name: "SharedCount: trySetCount loops of Curator and of two @zk/client clients sum exactly",
  async fn(t) {
    await using a = await fixture.client(t);
    await using b = await fixture.client(t);
    await using java = await curatorCounting(t, "shared-count", "/count");
    // A third instance only watches: its value follows through the watch.
    await using watcher = new SharedCount(a, "/count", 0);
    await watcher.start();
    const seen: number[] = [];
    watcher.addListener((count) => seen.push(count));
    const iterated = (async () => {
      for await (const count of watcher.changes({ signal: AbortSignal.timeout(120_000) })) {
        if (count === 3 * ADDS) return count;
      }
    })();

    const adder = async (zk: ZooKeeperClient) => {
      await using count = new SharedCount(zk, "/count", 0);
      await count.start();
      let lost = 0;
      for (let i = 0; i < ADDS; i++) {
        while (!(await count.trySetCount(count.versionedValue, count.count + 1))) lost++;
      }
      return lost;
    };
    await a.create("/go");
    const lost = await Promise.all([adder(a), adder(b)]);
    const done = await java.next((r) => r.event === "done", "Curator done");

    const { data, stat } = await a.get("/count");
    assert.deepEqual([...data], [0, 0, 0, 3 * ADDS]); // 4 big-endian bytes
    assert.equal(stat.version, 3 * ADDS);
    assert.equal(await within(iterated, 60_000, "the iterator"), 3 * ADDS);
    assert.equal(watcher.count, 3 * ADDS);
    assert.equal(seen.at(-1), 3 * ADDS);
    assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]), "values only move forward");
    console.log(
      `SharedCount: ${3 * ADDS} adds, lost races: ours ${lost.join("+")}, Curator ${
        Number(done.tries) - ADDS
      }`,
    );
  },
});

Deno.test({
  name: "DistributedAtomicLong: increments of Curator and of two @zk/client clients sum exactly",
  async fn(t) {
    await using a = await fixture.client(t);
    await using b = await fixture.client(t);
    await using java = await curatorCounting(t, "atomic-long", "/along");
    const adder = async (zk: ZooKeeperClient) => {
      const along = new DistributedAtomicLong(zk, "/along", { maxTries: 3 });
      let failed = 0;
      for (let i = 0; i < ADDS; i++) {
        while (true) {
          const result = await along.increment();
          if (result.succeeded) {
            assert.equal(result.postValue, result.preValue + 1n);
            break;
          }
          assert.equal(result.postValue, result.preValue);
          failed++;
        }
      }
      return failed;
    };
    await a.create("/go");
    const failed = await Promise.all([adder(a), adder(b)]);
    const done = await java.next((r) => r.event === "done", "Curator done");

    const { data } = await a.get("/along");
    assert.equal(data.length, 8);
    assert.equal(new DataView(data.buffer, data.byteOffset).getBigInt64(0), BigInt(3 * ADDS));
    assert.equal((await new DistributedAtomicLong(b, "/along").get()).postValue, BigInt(3 * ADDS));
    console.log(
      `DistributedAtomicLong: ${3 * ADDS} increments, failed operations: ours ${
        failed.join("+")
      }, Curator ${Number(done.tries) - ADDS}`,
    );
  },
});

Deno.test("SharedCount: a stale VersionedValue fails without a write; setCount is unconditional", async (t) => {
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  await using count = new SharedCount(zk, "/c", 7);
  await count.start();
  assert.deepEqual(count.versionedValue, { version: 0, value: 7 });
  assert.deepEqual([...(await zk.get("/c")).data], [0, 0, 0, 7]);
  const stale = count.versionedValue;
  assert.equal(await count.trySetCount(stale, 300), true);
  assert.equal(await count.trySetCount(stale, 301), false);
  assert.equal(count.count, 300);
  // Someone else writes: our compare-and-set loses and the cache catches up.
  await other.set("/c", new Uint8Array([0xff, 0xff, 0xff, 0xfe]));
  assert.equal(await count.trySetCount({ version: 1, value: 300 }, 5), false);
  assert.deepEqual(count.versionedValue, { version: 2, value: -2 });
  await count.setCount(-5);
  assert.deepEqual([...(await zk.get("/c")).data], [0xff, 0xff, 0xff, 0xfb]);
  assert.throws(() => new SharedCount(zk, "/d", 2 ** 31), BadArgumentsError);
  await assert.rejects(count.setCount(1.5), BadArgumentsError);
  // A node Curator cannot read either (fewer than 4 bytes) is refused, not misread.
  await zk.create("/short", new Uint8Array([1, 2]));
  await assert.rejects(new SharedCount(zk, "/short", 0).start(), DataInconsistencyError);
  // Closed: no watch of ours is left on the server.
  assert.ok(watchedPaths(await zk.command("wchc"), zk.sessionId).length > 0);
  await count.close();
  assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), []);
});

Deno.test("DistributedAtomicLong: compareAndSet, initialize, forceSet and corrupt data as Curator", async (t) => {
  await using zk = await fixture.client(t);
  const along = new DistributedAtomicLong(zk, "/deep/along");
  assert.equal((await along.get()).postValue, 0n); // missing reads as 0
  assert.equal((await along.compareAndSet(0n, 5n)).succeeded, false); // no create
  assert.equal(await along.initialize(10n), true);
  assert.equal(await along.initialize(11n), false);
  assert.deepEqual(
    { ...(await along.compareAndSet(10n, 12n)), optimisticTries: 0 },
    { succeeded: true, preValue: 10n, postValue: 12n, optimisticTries: 0 },
  );
  assert.equal((await along.compareAndSet(10n, 13n)).succeeded, false);
  const wrapped = await along.add(2n ** 63n - 1n);
  assert.equal(wrapped.postValue, -(2n ** 63n) + 11n); // Java's long overflow
  await along.forceSet(-1n);
  assert.deepEqual([...(await zk.get("/deep/along")).data], new Array(8).fill(0xff));
  await zk.create("/bad", new Uint8Array([1, 2, 3]));
  await assert.rejects(new DistributedAtomicLong(zk, "/bad").increment(), DataInconsistencyError);
});

Deno.test("SharedCount: follows the count across its own session's expiry", async (t) => {
  const cluster = await fixture.cluster();
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  await using count = new SharedCount(zk, "/c", 0);
  await count.start();
  const changes = count.changes();
  await expireSession(zk, { cluster });
  await other.set("/c", new Uint8Array([0, 0, 0, 41]));
  await other.set("/c", new Uint8Array([0, 0, 0, 42]));
  await within(
    (async () => {
      for (let next = await changes.next(); next.value !== 42; next = await changes.next()) {
        if (next.done) throw new Error("the changes ended before 42");
      }
    })(),
    30_000,
    "42 seen",
  );
  assert.deepEqual(count.versionedValue, { version: 2, value: 42 });
});

Deno.test("SharedCount: a count node deleted and created again is followed from its new version 0", async (t) => {
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  await using count = new SharedCount(zk, "/c", 3);
  await count.start();
  await other.set("/c", new Uint8Array([0, 0, 0, 4]));
  await other.set("/c", new Uint8Array([0, 0, 0, 5]));
  const changes = count.changes();
  await other.delete("/c");
  await other.create("/c", new Uint8Array([0, 0, 0, 9]));
  await within(
    (async () => {
      for (let next = await changes.next(); next.value !== 9; next = await changes.next()) {
        if (next.done) throw new Error("the changes ended before 9");
      }
    })(),
    30_000,
    "9 seen",
  );
  assert.deepEqual(count.versionedValue, { version: 0, value: 9 });
  assert.equal(await count.trySetCount(count.versionedValue, 10), true);
});

/**
 * Queue and LockingQueue against a real ZooKeeper: kazoo's entry names,
 * priorities, concurrent consumers each getting an entry exactly once, and
 * locked entries coming back when their holder releases or dies.
 */
import assert from "node:assert/strict";
import { BadArgumentsError, OutcomeUnknownError } from "../mod.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import { LockingQueue, Queue } from "../recipes/queue.ts";
import { chrootedClient, eventually, proxiedClient, uniqueChroot, within } from "./helpers.ts";
import { text } from "./bytes.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("Queue: entries come out by priority, then in order of arrival", async (t) => {
  await using zk = await fixture.client(t);
  const queue = new Queue(zk, "/q");
  assert.equal(await queue.get(), null, "empty");
  const path = await queue.put("a");
  assert.match(path, /^\/q\/entry-100-\d{10}$/);
  await queue.put("urgent", { priority: 0 });
  await queue.put("b");
  await queue.put("late", { priority: 999 });
  await queue.put("sooner", { priority: 5 });
  await queue.putAll(["c", "d"]);
  assert.equal(await queue.length(), 7);
  const names = await zk.getChildren("/q");
  for (const name of names) assert.match(name, /^entry-\d{3}-\d{10}$/);
  const got: (string | null)[] = [];
  for (let i = 0; i < 8; i++) got.push(text(await queue.get()));
  assert.deepEqual(got, ["urgent", "sooner", "a", "b", "c", "d", "late", null]);
  assert.equal(await queue.length(), 0);
  await assert.rejects(queue.put("x", { priority: 1000 }), BadArgumentsError);
  await assert.rejects(queue.put("x", { priority: 1.5 }), BadArgumentsError);
});

Deno.test("Queue: five concurrent consumers take each of 100 entries exactly once", async (t) => {
  await using clients = await fixture.clients(t, 5);
  const producer = new Queue(clients[0], "/jobs");
  for (let i = 0; i < 100; i += 10) {
    await producer.putAll(Array.from({ length: 10 }, (_, j) => `job-${i + j}`));
  }
  const taken = await Promise.all(clients.map(async (zk) => {
    const queue = new Queue(zk, "/jobs");
    const mine: string[] = [];
    for (let data; (data = await queue.get()) !== null;) mine.push(text(data)!);
    return mine;
  }));
  const all = taken.flat();
  assert.equal(all.length, 100, "no entry twice");
  assert.deepEqual(new Set(all).size, 100);
  assert.ok(taken.filter((mine) => mine.length > 0).length > 1, "shared among consumers");
});

Deno.test("Queue: a get whose connection drops mid-flight hands out no entry twice", async () => {
  const cluster = await fixture.cluster();
  // 30 ms each way: a get lists, reads and deletes (60 ms each); the cuts
  // below land in each step, including after the delete was applied.
  await using env = await proxiedClient(cluster, uniqueChroot("queue-cut"), { latency: 30 });
  const { admin, proxy, zk } = env;
  const delays = [10, 50, 70, 100, 130, 150, 170, 190, 230];
  await new Queue(admin, "/q").putAll(delays.map((_, i) => `e${i}`));
  const queue = new Queue(zk, "/q");
  let next = 0;
  for (const delay of delays) {
    const getting = queue.get();
    await new Promise((resolve) => setTimeout(resolve, delay));
    await proxy.cut();
    try {
      assert.equal(text(await within(getting, 10_000, `get cut at ${delay} ms`)), `e${next}`);
    } catch (error) {
      // A delete whose reply was lost: taken, but not provably by us.
      if (!(error instanceof OutcomeUnknownError)) throw error;
      assert.equal(error.path, `/q/entry-100-${String(next).padStart(10, "0")}`);
    }
    next++;
    assert.equal((await admin.getChildren("/q")).length, delays.length - next);
  }
  assert.equal(await queue.get(), null);
});

Deno.test("Queue: take waits for an entry, or gives up after its timeout", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("queue-take");
  await using zk = await chrootedClient(cluster, chroot);
  await using producer = await chrootedClient(cluster, chroot);
  const queue = new Queue(zk, "/q");
  assert.equal(await queue.take({ timeout: 100 }), null);
  const taking = queue.take({ timeout: 10_000 });
  await new Queue(producer, "/q").put("here");
  assert.equal(text(await within(taking, 5000, "take")), "here");
  const controller = new AbortController();
  const aborted = queue.take({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
});

Deno.test("LockingQueue: get locks an entry in taken/, consume removes it and its lock", async (t) => {
  await using zk = await fixture.client(t);
  const queue = new LockingQueue(zk, "/lq");
  await queue.put("second", { priority: 200 });
  await queue.put("first");
  assert.deepEqual((await zk.getChildren("/lq")).sort(), ["entries", "taken"]);
  assert.equal(await queue.holdsLock(), false);
  assert.equal(text(await queue.get()), "first");
  const name = queue.holding!;
  assert.match(name, /^entry-100-\d{10}$/);
  const { data, stat } = await zk.get(`/lq/taken/${name}`);
  assert.equal(text(data), queue.id);
  assert.match(queue.id, /^[0-9a-f]{32}$/);
  assert.equal(stat.ephemeralOwner, zk.sessionId);
  assert.equal(await queue.holdsLock(), true);
  assert.equal(text(await queue.get()), "first", "the held entry again");
  assert.equal(await queue.length(), 2, "locked entries count");
  assert.equal(await queue.consume(), true);
  assert.equal(await queue.consume(), false, "nothing held");
  assert.equal(await zk.exists(`/lq/entries/${name}`), null);
  assert.equal(await zk.exists(`/lq/taken/${name}`), null);
  assert.equal(text(await queue.get()), "second");
  assert.equal(await queue.release(), true);
  assert.deepEqual(await zk.getChildren("/lq/taken"), []);
  assert.equal(await queue.length(), 1);
});

Deno.test("LockingQueue: a released entry goes to the next consumer", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("locking-queue-release");
  await using a = await chrootedClient(cluster, chroot);
  await using b = await chrootedClient(cluster, chroot);
  const first = new LockingQueue(a, "/lq");
  const second = new LockingQueue(b, "/lq");
  await first.put("only");
  assert.equal(text(await first.get()), "only");
  assert.equal(await second.get({ timeout: 200 }), null, "locked by the first");
  const waiting = second.get();
  assert.equal(await first.release(), true);
  assert.equal(text(await within(waiting, 5000, "second consumer")), "only");
  assert.equal(await first.holdsLock(), false);
  assert.equal(await second.consume(), true);
});

Deno.test("LockingQueue: an entry locked by a consumer whose session expires comes back", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("locking-queue-crash");
  await using a = await chrootedClient(cluster, chroot, { sessionTimeout: 4000 });
  await using b = await chrootedClient(cluster, chroot);
  const crashing = new LockingQueue(a, "/lq");
  const survivor = new LockingQueue(b, "/lq");
  await crashing.put("job");
  assert.equal(text(await crashing.get()), "job");
  const waiting = survivor.get();
  await expireSession(a, { cluster });
  assert.equal(text(await within(waiting, 10_000, "survivor")), "job");
  assert.equal(await crashing.holdsLock(), false);
  assert.equal(await crashing.consume(), false, "no longer ours");
  assert.equal(await crashing.get({ timeout: 200 }), null, "not handed the lost entry again");
  assert.equal(await survivor.consume(), true);
  assert.equal(await survivor.length(), 0);
});

Deno.test("LockingQueue: an aborted get leaves no lock behind", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("locking-queue-abort");
  await using zk = await chrootedClient(cluster, chroot);
  const queue = new LockingQueue(zk, "/lq");
  const controller = new AbortController();
  const getting = queue.get({ signal: controller.signal });
  await eventually(async () => (await zk.exists("/lq/entries")) !== null);
  controller.abort(new Error("no more"));
  await assert.rejects(getting, /no more/);
  await queue.put("later");
  await zk.sync("/");
  assert.deepEqual(await zk.getChildren("/lq/taken"), []);
  assert.equal(text(await queue.get()), "later");
  await queue.consume();
});

Deno.test("LockingQueue: an abort that lands while the lock is being created leaves no lock", async () => {
  const cluster = await fixture.cluster();
  // 40 ms each way: a get is four round trips of 80 ms (two listings, the
  // lock's create, the entry's read), so the aborts below land in each.
  await using env = await proxiedClient(cluster, uniqueChroot("locking-queue-abort-inflight"), {
    latency: 40,
  });
  const { admin, zk } = env;
  const queue = new LockingQueue(zk, "/lq");
  await queue.put("precious");
  for (const delay of [20, 100, 180, 200, 220, 240, 260, 300]) {
    const controller = new AbortController();
    const getting = queue.get({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, delay));
    controller.abort(new Error("abandoned"));
    const outcome = await getting.then(() => "got it", (e: Error) => e.message);
    if (outcome === "got it") assert.equal(await queue.release(), true);
    await eventually(
      async () => (await admin.getChildren("/lq/taken")).length === 0,
      5000,
      `no lock left after an abort at ${delay} ms`,
    );
  }
  assert.equal(text(await new LockingQueue(admin, "/lq").get({ timeout: 1000 })), "precious");
});

Deno.test("LockingQueue: five consumers with locks process 50 entries exactly once", async (t) => {
  await using clients = await fixture.clients(t, 5);
  const producer = new LockingQueue(clients[0], "/lq");
  await producer.putAll(Array.from({ length: 50 }, (_, i) => `job-${i}`));
  const consumed: string[] = [];
  const handedBack = new Set<string>();
  // Consumers stop once all 50 are consumed (not on an empty get: on a loaded machine a short
  // get can time out while entries are still there); the deadline keeps a bug from hanging.
  const deadline = Date.now() + 60_000;
  await Promise.all(clients.map(async (zk, i) => {
    const queue = new LockingQueue(zk, "/lq");
    while (consumed.length < 50) {
      assert.ok(Date.now() < deadline, `only ${consumed.length} of 50 consumed in 60 s`);
      const data = await queue.get({ timeout: 300 });
      if (data === null) continue;
      // The first consumer hands every entry back once before it is consumed.
      if (i === 0 && !handedBack.has(text(data)!)) {
        handedBack.add(text(data)!);
        assert.equal(await queue.release(), true);
        continue;
      }
      assert.equal(await queue.consume(), true);
      consumed.push(text(data)!);
    }
  }));
  assert.equal(consumed.length, 50);
  assert.equal(new Set(consumed).size, 50, "no entry twice");
  assert.ok(handedBack.size > 0);
  assert.deepEqual(await clients[0].getChildren("/lq/entries"), []);
  assert.deepEqual(await clients[0].getChildren("/lq/taken"), []);
});

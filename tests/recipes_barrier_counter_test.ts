/**
 * Barrier, DoubleBarrier and Counter against a real ZooKeeper: kazoo's znodes
 * and data, concurrency across clients, and waits that outlive connection
 * trouble.
 */
import assert from "node:assert/strict";
import {
  BadArgumentsError,
  connect,
  DataInconsistencyError,
  OutcomeUnknownError,
  State,
  type ZooKeeperClient,
} from "../mod.ts";
import { clusterFixture, expireSession, FaultProxy } from "../lib/testing/mod.ts";
import { Barrier, DoubleBarrier } from "../recipes/barrier.ts";
import { Counter } from "../recipes/counter.ts";
import { chrootedClient, cutOff, eventually, uniqueChroot, within } from "./helpers.ts";
import { text } from "./bytes.ts";

/** Resolves to "pending" if `promise` has not settled after a round trip on `zk`. */
async function pendingAfter(zk: ZooKeeperClient, promise: Promise<unknown>): Promise<string> {
  let settled = "pending";
  promise.then(() => settled = "resolved", () => settled = "rejected");
  await zk.sync("/");
  await zk.exists("/");
  return settled;
}

const fixture = clusterFixture({ freePorts: true });

Deno.test("Counter: five clients adding twenty times each reach exactly 100", async (t) => {
  await using clients = await fixture.clients(t, 5);
  const started = performance.now();
  await Promise.all(clients.map(async (zk) => {
    const counter = new Counter(zk, "/hits");
    for (let i = 0; i < 20; i++) {
      const post = await counter.add(1);
      assert.equal(post, counter.postValue);
      assert.equal(counter.preValue, post - 1);
    }
  }));
  console.log(`  100 contended adds in ${Math.round(performance.now() - started)} ms`);
  assert.equal(await new Counter(clients[0], "/hits").get(), 100);
  assert.equal(text((await clients[0].get("/hits")).data), "100");
});

Deno.test("Counter: values are stored as Python's repr, ints and floats", async (t) => {
  await using zk = await fixture.client(t);
  const ints = new Counter(zk, "/int");
  assert.equal(await ints.get(), 0, "an empty node reads as the default");
  assert.equal(await ints.add(2), 2);
  assert.equal(await ints.subtract(5), -3);
  assert.equal(ints.preValue, 2);
  assert.equal(text((await zk.get("/int")).data), "-3");

  const floats = new Counter(zk, "/float", { default: 1.5 });
  assert.equal(floats.type, "float");
  await floats.add(1.5);
  assert.equal(text((await zk.get("/float")).data), "3.0");
  const expected: Array<[number, string]> = [
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-2.5e-7, "-2.5e-07"],
    [123456.789, "123456.789"],
    [1.5e300, "1.5e+300"],
  ];
  for (const [value, repr] of expected) {
    await zk.set("/float", "0.0");
    assert.equal(await floats.add(value), value);
    assert.equal(text((await zk.get("/float")).data), repr, `repr of ${value}`);
  }
  await zk.set("/float", "inf");
  assert.equal(await floats.get(), Infinity);
  await zk.set("/float", " 1_000.5 ");
  assert.equal(await floats.get(), 1000.5, "float() accepts spaces and underscores");

  const typed = new Counter(zk, "/float-zero", { default: 0, type: "float" });
  await typed.add(2);
  assert.equal(text((await zk.get("/float-zero")).data), "2.0", "kazoo's default=0.0");

  await zk.set("/int", "3.0");
  await assert.rejects(ints.get(), DataInconsistencyError, "int('3.0') fails in Python too");
  await assert.rejects(ints.add(0.5), BadArgumentsError);
  await assert.rejects(ints.add(2 ** 53), BadArgumentsError);
});

Deno.test("Counter: the curator encoding is a 4-byte big-endian int", async (t) => {
  await using zk = await fixture.client(t);
  const counter = new Counter(zk, "/shared", { encoding: "curator" });
  await counter.add(258);
  assert.deepEqual([...(await zk.get("/shared")).data], [0, 0, 1, 2]);
  await counter.subtract(259);
  assert.deepEqual([...(await zk.get("/shared")).data], [255, 255, 255, 255]);
  assert.equal(await counter.get(), -1);
  await zk.set("/shared", new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
  await assert.rejects(counter.add(1), BadArgumentsError, "past int32");
  assert.throws(
    () => new Counter(zk, "/x", { encoding: "curator", default: 0.5 }),
    BadArgumentsError,
  );
});

Deno.test("Counter: a counter whose node was deleted starts again from the default", async (t) => {
  await using zk = await fixture.client(t);
  const counter = new Counter(zk, "/c", { default: 10 });
  assert.equal(await counter.add(1), 11);
  await zk.delete("/c");
  assert.equal(await counter.add(1), 11);
});

Deno.test("Counter: an add whose connection drops mid-flight is applied exactly once", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("counter-cut");
  await using admin = await chrootedClient(cluster, chroot);
  const member = cluster.members[0];
  // 30 ms each way: an add is a read then a write, 60 ms each; the cuts
  // below land before, during and after the write reaches the server.
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort }, {
    latency: 30,
  });
  await using zk = await connect(`${proxy.address}${chroot}`, { sessionTimeout: 8000 });
  const counter = new Counter(zk, "/c");
  let expected = await counter.add(1);
  for (const delay of [10, 50, 70, 90, 100, 110, 120, 140, 170]) {
    const adding = counter.add(1);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await proxy.cut();
    try {
      expected++;
      assert.equal(await within(adding, 10_000, `add cut at ${delay} ms`), expected);
    } catch (error) {
      // A write whose reply was lost cannot be proven ours: never counted twice.
      if (!(error instanceof OutcomeUnknownError)) throw error;
      const now = Number(text((await admin.get("/c")).data));
      assert.ok(now === expected || now === expected - 1, `cut at ${delay} ms: ${now}`);
      expected = now;
    }
    assert.equal(text((await admin.get("/c")).data), String(expected), `cut at ${delay} ms`);
  }
});

Deno.test("Counter: adds made while the connection is down complete after it returns", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("counter-suspended");
  await using admin = await connect(cluster.connectionString());
  await admin.ensurePath(chroot);
  const member = cluster.members[0];
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  await using zk = await connect(`${proxy.address}${chroot}`, { sessionTimeout: 8000 });
  const counter = new Counter(zk, "/c");
  await counter.add(1);
  await cutOff(zk, proxy);
  const adding = counter.add(41);
  await admin.set(`${chroot}/c`, "100");
  proxy.accept();
  assert.equal(await within(adding, 10_000, "add after reconnect"), 141);
});

Deno.test("Barrier: a barrier holds waiters until it is removed", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("barrier");
  await using zk = await chrootedClient(cluster, chroot);
  await using other = await chrootedClient(cluster, chroot);
  const barrier = new Barrier(zk, "/gate/b");
  assert.equal(await barrier.wait(), true, "no barrier: nothing to wait for");
  await barrier.create();
  await barrier.create();
  assert.ok(await zk.exists("/gate/b"));
  assert.equal(await new Barrier(other, "/gate/b").wait({ timeout: 100 }), false);
  const waiters = [1, 2, 3].map(() => new Barrier(other, "/gate/b").wait());
  assert.equal(await pendingAfter(other, Promise.race(waiters)), "pending");
  assert.equal(await barrier.remove(), true);
  assert.deepEqual(await within(Promise.all(waiters), 5000, "waiters"), [true, true, true]);
  assert.equal(await barrier.remove(), false, "already down");
});

Deno.test("Barrier: an aborted wait rejects with the signal's reason", async (t) => {
  await using zk = await fixture.client(t);
  const barrier = new Barrier(zk, "/b");
  await barrier.create();
  const controller = new AbortController();
  const waiting = barrier.wait({ signal: controller.signal, timeout: 60_000 });
  controller.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
});

Deno.test("Barrier: a wait survives a reconnect: removed while disconnected", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("barrier-reconnect");
  await using admin = await connect(cluster.connectionString());
  await admin.ensurePath(`${chroot}/b`);
  const member = cluster.members[0];
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  await using zk = await connect(`${proxy.address}${chroot}`, { sessionTimeout: 8000 });
  const session = zk.sessionId;
  const waiting = new Barrier(zk, "/b").wait();
  assert.equal(await pendingAfter(zk, waiting), "pending");
  await cutOff(zk, proxy);
  await admin.delete(`${chroot}/b`);
  proxy.accept();
  assert.equal(await within(waiting, 10_000, "wait after reconnect"), true);
  assert.equal(zk.sessionId, session, "same session");
});

Deno.test("Barrier: a wait starts over after the session expires", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("barrier-expiry");
  await using zk = await chrootedClient(cluster, chroot, { sessionTimeout: 4000 });
  await using admin = await chrootedClient(cluster, chroot);
  await new Barrier(admin, "/b").create();
  const waiting = new Barrier(zk, "/b").wait();
  assert.equal(await pendingAfter(zk, waiting), "pending");
  await expireSession(zk, { cluster });
  await eventually(() => zk.state === State.CONNECTED);
  assert.equal(await pendingAfter(zk, waiting), "pending", "still up: still waiting");
  await new Barrier(admin, "/b").remove();
  assert.equal(await within(waiting, 10_000, "wait after expiry"), true);
});

Deno.test("DoubleBarrier: four clients: nobody enters before all have, nobody leaves early", async (t) => {
  await using clients = await fixture.clients(t, 4);
  const barriers = clients.map((zk, i) => new DoubleBarrier(zk, "/db", 4, `worker-${i}`));
  const entering = barriers.slice(0, 3).map((b) => b.enter());
  await eventually(async () => (await clients[0].getChildren("/db")).length === 3);
  assert.equal(await pendingAfter(clients[0], Promise.race(entering)), "pending");
  assert.equal(await clients[0].exists("/db/ready"), null);
  const names = await clients[0].getChildren("/db");
  for (const name of names) assert.match(name, /^[0-9a-f]{32}$/);
  const ids = await Promise.all(
    names.map(async (n) => text((await clients[0].get(`/db/${n}`)).data)),
  );
  assert.deepEqual(ids.sort(), ["worker-0", "worker-1", "worker-2"]);

  await barriers[3].enter();
  await within(Promise.all(entering), 5000, "entering");
  assert.ok(barriers.every((b) => b.participating));
  assert.ok(await clients[0].exists("/db/ready"));

  const leaving = barriers.slice(1).map((b) => b.leave());
  assert.equal(await pendingAfter(clients[0], Promise.race(leaving)), "pending");
  await barriers[0].leave();
  await within(Promise.all(leaving), 5000, "leaving");
  assert.deepEqual(await clients[0].getChildren("/db"), []);
  assert.ok(barriers.every((b) => !b.participating));
});

Deno.test("DoubleBarrier: a participant whose session expires while entering enters again", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("double-barrier-expiry");
  await using a = await chrootedClient(cluster, chroot, { sessionTimeout: 4000 });
  await using b = await chrootedClient(cluster, chroot);
  const first = new DoubleBarrier(a, "/db", 2, "first");
  const entering = first.enter();
  await eventually(async () => (await b.getChildren("/db").catch(() => [])).length === 1);
  await expireSession(a, { cluster });
  await eventually(
    async () => {
      const stat = await b.exists(`/db/${first.node}`);
      return stat !== null && stat.ephemeralOwner === a.sessionId;
    },
    10_000,
    "the node re-created by the new session",
  );
  assert.equal(await pendingAfter(a, entering), "pending");
  const second = new DoubleBarrier(b, "/db", 2, "second");
  await second.enter();
  await within(entering, 5000, "first enters");
  await Promise.all([first.leave(), second.leave()]);
  assert.deepEqual(await b.getChildren("/db"), []);
});

Deno.test("DoubleBarrier: an aborted enter rejects and takes its node away", async (t) => {
  await using zk = await fixture.client(t);
  const barrier = new DoubleBarrier(zk, "/db", 2);
  const controller = new AbortController();
  const entering = barrier.enter({ signal: controller.signal });
  await eventually(async () => (await zk.getChildren("/db").catch(() => [])).length === 1);
  controller.abort(new Error("enough"));
  await assert.rejects(entering, /enough/);
  assert.deepEqual(await zk.getChildren("/db"), []);
  assert.equal(barrier.participating, false);
});

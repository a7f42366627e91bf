/**
 * Lock, ReadLock and WriteLock against a real server: mutual exclusion
 * under contention, FIFO order, timeouts and cancellation that leave no
 * node behind, session loss while waiting and while holding, protected
 * creates after a lost reply, and read-write semantics.
 */
import assert from "node:assert/strict";
import {
  ConnectionLossError,
  LockTimeoutError,
  NoNodeError,
  SessionExpiredError,
  State,
} from "../mod.ts";
import { Lock, type LockHandle, LockReentryError, ReadLock, WriteLock } from "../recipes/lock.ts";
import { contenderPattern, predecessor, sortContenders } from "../recipes/internal/contenders.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import {
  chrootedClients,
  closeAll,
  eventually,
  nextState,
  proxiedClient,
  uniqueChroot,
  within,
} from "./helpers.ts";

/** Asserts that no two [enter, exit] intervals overlap. */
function assertNoOverlap(intervals: { who: string; enter: number; exit: number }[]): void {
  const sorted = [...intervals].sort((a, b) => a.enter - b.enter);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(
      sorted[i - 1].exit <= sorted[i].enter,
      `${sorted[i - 1].who} held until ${sorted[i - 1].exit} but ${sorted[i].who} entered at ${
        sorted[i].enter
      }`,
    );
  }
}

Deno.test({
  name: "contenders are ordered by sequence number, not by name",
  sanitizeOps: true,
  sanitizeResources: true,
  fn() {
    const children = [
      "ffff__lock__0000000010",
      "0000__lock__0000000009",
      "aaaa__rlock__0000000011",
      "bbbb__lock__-000000001",
      "lease_holder",
      "cccc__lock__00000000123",
    ];
    const lock = contenderPattern(["__lock__"]);
    assert.deepEqual(sortContenders(children, lock).map((c) => c.name), [
      "bbbb__lock__-000000001",
      "0000__lock__0000000009",
      "ffff__lock__0000000010",
    ]);
    // A writer waits for the reader just below it; a reader skips readers.
    const both = contenderPattern(["__lock__", "__rlock__"]);
    assert.equal(
      predecessor([...children, "dddd__lock__0000000012"], {
        name: "dddd__lock__0000000012",
        sequence: 12,
      }, both),
      "aaaa__rlock__0000000011",
    );
    assert.equal(
      predecessor([...children, "eeee__rlock__0000000012"], {
        name: "eeee__rlock__0000000012",
        sequence: 12,
      }, lock),
      "ffff__lock__0000000010",
    );
    assert.equal(
      predecessor(children, { name: "x__lock__0000000000", sequence: 0 }, lock),
      "bbbb__lock__-000000001",
    );
    assert.equal(
      predecessor(["a__lock__0000000005"], { name: "a__lock__0000000005", sequence: 5 }, lock),
      undefined,
    );
    // Markers are literal text.
    assert.equal(contenderPattern(["a.b"]).test("xa-b0000000001"), false);
  },
});

const fixture = clusterFixture({ freePorts: true });

Deno.test("Lock: five clients taking the lock ten times each never overlap", async (t) => {
  await using zks = await fixture.clients(t, 5);
  const intervals: { who: string; enter: number; exit: number }[] = [];
  let holders = 0;
  let maxHolders = 0;
  await Promise.all(zks.map(async (zk, i) => {
    const lock = new Lock(zk, "/lock", `client-${i}`);
    for (let round = 0; round < 10; round++) {
      const handle = await lock.acquire({ signal: AbortSignal.timeout(20_000) });
      const enter = performance.now();
      holders++;
      maxHolders = Math.max(maxHolders, holders);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      holders--;
      intervals.push({ who: `client-${i}#${round}`, enter, exit: performance.now() });
      await handle.release();
    }
  }));
  assert.equal(intervals.length, 50);
  assert.equal(maxHolders, 1);
  assertNoOverlap(intervals);
  assert.deepEqual(await zks[0].getChildren("/lock"), [], "no node left behind");
});

Deno.test("Lock: waiters get the lock in the order they asked for it", async (t) => {
  await using zks = await fixture.clients(t, 5);
  const first = await new Lock(zks[0], "/lock", "holder").acquire();
  const order: number[] = [];
  const waiting: Promise<void>[] = [];
  for (let i = 1; i < 5; i++) {
    const lock = new Lock(zks[i], "/lock", `waiter-${i}`);
    waiting.push(
      lock.acquire().then(async (handle) => {
        order.push(i);
        await handle.release();
      }),
    );
    await eventually(async () => (await zks[0].getChildren("/lock")).length === i + 1);
  }
  assert.deepEqual(await new Lock(zks[0], "/lock").contenders(), [
    "holder",
    "waiter-1",
    "waiter-2",
    "waiter-3",
    "waiter-4",
  ]);
  await first.release();
  await within(Promise.all(waiting), 10_000, "the waiters");
  assert.deepEqual(order, [1, 2, 3, 4]);
});

Deno.test("Lock: a waiter whose predecessor gives up waits for the one before it", async (t) => {
  await using zks = await fixture.clients(t, 3);
  const holder = await new Lock(zks[0], "/lock", "a").acquire();
  const middle = new AbortController();
  const b = new Lock(zks[1], "/lock", "b").acquire({ signal: middle.signal });
  await eventually(async () => (await zks[0].getChildren("/lock")).length === 2);
  let cHeld = false;
  const c = new Lock(zks[2], "/lock", "c").acquire().then((h) => {
    cHeld = true;
    return h;
  });
  await eventually(async () => (await zks[0].getChildren("/lock")).length === 3);
  middle.abort(new Error("b gives up"));
  await assert.rejects(b, /b gives up/);
  await eventually(async () => (await zks[0].getChildren("/lock")).length === 2);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(cHeld, false, "c must still wait for a");
  await holder.release();
  const handle = await within(c, 5000, "c");
  assert.ok(!handle.signal.aborted);
  await handle.release();
});

Deno.test("Lock: each waiter watches only the node just before it (no herd)", async (t) => {
  const cluster = await fixture.cluster();
  const chroot = fixture.chroot(t);
  await using zks = await fixture.clients(t, 5);
  const holder = await new Lock(zks[0], "/lock", "holder").acquire();
  const waiting = zks.slice(1).map((zk) => new Lock(zk, "/lock").acquire());
  await eventually(async () => (await zks[0].getChildren("/lock")).length === 5);
  const nodes = sortContenders(
    await zks[0].getChildren("/lock"),
    contenderPattern(["__lock__"]),
  ).map((c) => `${chroot}/lock/${c.name}`);
  // wchp: each watched path, then the sessions watching it.
  const watchers = new Map<string, number>();
  await eventually(
    async () => {
      const answer = await cluster.members[0].fourLetterWord("wchp");
      watchers.clear();
      let path = "";
      for (const line of answer.split("\n")) {
        if (line.startsWith("/")) path = line.trim();
        else if (line.trim().startsWith("0x") && path.startsWith(`${chroot}/lock/`)) {
          watchers.set(path, (watchers.get(path) ?? 0) + 1);
        }
      }
      // The holder watches its own node too; every other node has one watcher.
      return nodes.slice(0, 4).every((n, i) => watchers.get(n) === (i === 0 ? 2 : 1));
    },
    5000,
    `one watcher per node, got ${JSON.stringify([...watchers])}`,
  );
  assert.equal(watchers.get(nodes[4]), undefined, "nobody watches the last waiter");
  await holder.release();
  await within(
    Promise.all(waiting.map((w) => w.then((handle) => handle.release()))),
    5000,
    "the waiters, one after another",
  );
});

Deno.test("Lock: a waiter keeps its place through a reconnect with the same session", async () => {
  const cluster = await fixture.cluster();
  await using env = await proxiedClient(cluster, uniqueChroot("reconnect-waiting"));
  const { admin, proxy, zk } = env;
  const holder = await new Lock(admin, "/lock", "holder").acquire();
  const waiting = new Lock(zk, "/lock", "waiter").acquire();
  await eventually(async () => (await admin.getChildren("/lock")).length === 2);
  const before = (await admin.getChildren("/lock")).sort();
  const session = zk.sessionId;
  const back = nextState(zk, (s) => s === State.SUSPENDED).then(() =>
    nextState(zk, (s) => s === State.CONNECTED)
  );
  proxy.refuse();
  await proxy.cut();
  // The holder lets go while the waiter is cut off: its watch fires on reconnect.
  await holder.release();
  proxy.accept();
  await back;
  const handle = await within(waiting, 10_000, "the waiter");
  assert.equal(zk.sessionId, session);
  assert.ok(before.includes(handle.path.slice("/lock/".length)), "the same node");
  await handle.release();
  assert.deepEqual(await admin.getChildren("/lock"), []);
});

Deno.test("Lock: a timeout rejects with LockTimeoutError and leaves no node", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const held = await new Lock(a, "/lock", "a").acquire();
  const started = performance.now();
  await assert.rejects(new Lock(b, "/lock", "b").acquire({ timeout: 300 }), LockTimeoutError);
  const waited = performance.now() - started;
  assert.ok(waited >= 290 && waited < 3000, `waited ${waited} ms`);
  assert.deepEqual(await a.getChildren("/lock"), [held.path.slice("/lock/".length)]);
  await held.release();
  assert.deepEqual(await a.getChildren("/lock"), []);
});

Deno.test(
  "Lock: an aborted signal or cancel() rejects the acquire and leaves no node",
  async (t) => {
    await using clients = await fixture.clients(t, 2);
    const [a, b] = clients;
    const held = await new Lock(a, "/lock", "a").acquire();
    const controller = new AbortController();
    const lock = new Lock(b, "/lock", "b");
    const pending = lock.acquire({ signal: controller.signal });
    await eventually(async () => (await a.getChildren("/lock")).length === 2);
    const reason = new Error("not any more");
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal((await a.getChildren("/lock")).length, 1);

    const cancelled = lock.acquire();
    await eventually(async () => (await a.getChildren("/lock")).length === 2);
    lock.cancel();
    await assert.rejects(cancelled, (e: Error) => e.name === "AbortError");
    assert.equal((await a.getChildren("/lock")).length, 1);
    assert.equal(lock.isAcquired, false);

    await assert.rejects(
      lock.acquire({ signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    await held.release();
    assert.deepEqual(await a.getChildren("/lock"), []);
  },
);

Deno.test("Lock: tryAcquire takes a free lock and returns null for a held one", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const lockA = new Lock(a, "/lock", "a");
  const handle = await lockA.tryAcquire();
  assert.ok(handle);
  assert.equal(lockA.isAcquired, true);
  assert.equal(await new Lock(b, "/lock", "b").tryAcquire(), null);
  assert.equal((await a.getChildren("/lock")).length, 1, "the failed try left no node");
  await assert.rejects(lockA.acquire(), LockReentryError);
  await assert.rejects(lockA.tryAcquire(), LockReentryError);
  await handle.release();
  await handle.release(); // idempotent
  assert.equal(lockA.isAcquired, false);
  {
    await using again = await lockA.acquire();
    assert.ok(again.path.startsWith("/lock/"));
    assert.match(again.path, /^\/lock\/[0-9a-f]{32}__lock__\d{10}$/);
    assert.equal((await a.get(again.path)).data.length, 1);
    assert.ok(again.signal.aborted === false);
  }
  assert.deepEqual(await a.getChildren("/lock"), []);
});

Deno.test("Lock: a handle's czxid grows with each holder (fencing token)", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("fencing");
  const [a] = await chrootedClients(cluster, chroot, 1);
  try {
    const lock = new Lock(a, "/lock");
    const first = await lock.acquire();
    await first.release();
    assert.ok(first.signal.aborted, "released handle's signal aborts");
    const second = await lock.acquire();
    assert.ok(second.czxid > first.czxid);
    await second.release();
  } finally {
    await a.close();
  }
});

Deno.test(
  "Lock: a session that expires while waiting starts over with a new node and gets the lock",
  async (t) => {
    const cluster = await fixture.cluster();
    await using clients = await fixture.clients(t, 2);
    const [a, b] = clients;
    const held = await new Lock(a, "/lock", "a").acquire();
    const waiting = new Lock(b, "/lock", "b").acquire();
    await eventually(async () => (await a.getChildren("/lock")).length === 2);
    const before = (await a.getChildren("/lock")).sort();
    const oldSession = b.sessionId;
    await expireSession(b, { cluster });
    await nextState(b, (s) => s === State.CONNECTED);
    assert.notEqual(b.sessionId, oldSession);
    await eventually(
      async () => {
        const now = (await a.getChildren("/lock")).sort();
        return now.length === 2 && now.some((n) => !before.includes(n));
      },
      10_000,
      "a new node for b",
    );
    await held.release();
    const handle = await within(waiting, 10_000, "b after expiry");
    assert.ok(!before.includes(handle.path.slice("/lock/".length)), "a new node");
    assert.equal((await a.exists(handle.path))?.ephemeralOwner, b.sessionId);
    await handle.release();
    assert.deepEqual(await a.getChildren("/lock"), []);
  },
);

Deno.test(
  "Lock: a holder whose session expires sees its signal abort; the lock passes on",
  async (t) => {
    const cluster = await fixture.cluster();
    await using clients = await fixture.clients(t, 2);
    const [a, b] = clients;
    const held = await new Lock(a, "/lock", "a").acquire();
    const waiting = new Lock(b, "/lock", "b").acquire();
    await eventually(async () => (await b.getChildren("/lock")).length === 2);
    await expireSession(a, { cluster });
    assert.ok(held.signal.aborted);
    assert.ok(
      held.signal.reason instanceof SessionExpiredError ||
        held.signal.reason instanceof ConnectionLossError,
      String(held.signal.reason),
    );
    const next = await within(waiting, 10_000, "b");
    assert.equal(await b.exists(held.path), null);
    await held.release(); // the node is gone already: fine
    await next.release();
  },
);

Deno.test(
  "Lock: a dropped connection aborts the holder's signal; the lock survives it",
  async () => {
    const cluster = await fixture.cluster();
    await using env = await proxiedClient(cluster, uniqueChroot("suspended"));
    const { admin, proxy, zk } = env;
    const handle = await new Lock(zk, "/lock", "a").acquire();
    const session = zk.sessionId;
    const back = nextState(zk, (s) => s === State.SUSPENDED).then(() =>
      nextState(zk, (s) => s === State.CONNECTED)
    );
    await proxy.cut();
    await back;
    assert.equal(zk.sessionId, session);
    assert.ok(handle.signal.aborted);
    assert.ok(handle.signal.reason instanceof ConnectionLossError);
    assert.ok(await admin.exists(handle.path), "still held with the same session");
    // The release goes through once the connection is back.
    proxy.refuse();
    await proxy.cut();
    const released = handle.release();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(await admin.exists(handle.path), "not deleted while cut off");
    proxy.accept();
    await within(released, 10_000, "release after reconnect");
    assert.equal(await admin.exists(handle.path), null);
  },
);

Deno.test(
  "Lock: a create whose reply is lost is adopted on retry, leaving no orphan",
  async () => {
    const cluster = await fixture.cluster();
    await using env = await proxiedClient(cluster, uniqueChroot("protected"));
    const { admin, proxy, zk } = env;
    await admin.ensurePath("/lock");
    proxy.latency(400);
    // The create reaches the server at ~400 ms; its reply would be back at ~800.
    const acquiring = new Lock(zk, "/lock", "me").acquire();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await admin.getChildren("/lock")).length, 1, "the create was applied");
    proxy.latency(0);
    await proxy.cut();
    const handle = await within(acquiring, 10_000, "acquire after the lost reply");
    assert.deepEqual(await admin.getChildren("/lock"), [
      handle.path.slice("/lock/".length),
    ]);
    await handle.release();
  },
);

Deno.test("Lock: someone deleting the holder's node aborts its signal", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("deleted");
  const [a] = await chrootedClients(cluster, chroot, 1);
  try {
    const handle = await new Lock(a, "/lock").acquire();
    await a.delete(handle.path);
    await eventually(() => handle.signal.aborted, 5000, "signal");
    assert.ok(handle.signal.reason instanceof NoNodeError);
    await handle.release();
  } finally {
    await a.close();
  }
});

Deno.test("Lock: readers share the lock; writers exclude readers and writers", async (t) => {
  await using zks = await fixture.clients(t, 4);
  const r1 = await new ReadLock(zks[0], "/rw", "r1").acquire();
  const r2 = await within(new ReadLock(zks[1], "/rw", "r2").acquire(), 5000, "r2");
  assert.match(r1.path, /__rlock__\d{10}$/);
  // A writer queues behind both readers.
  const events: string[] = [];
  const writer = new WriteLock(zks[2], "/rw", "w").acquire().then((h) => {
    events.push("w");
    return h;
  });
  await eventually(async () => (await zks[0].getChildren("/rw")).length === 3);
  // A reader after the writer waits for it.
  const r3 = new ReadLock(zks[3], "/rw", "r3").acquire().then((h) => {
    events.push("r3");
    return h;
  });
  await eventually(async () => (await zks[0].getChildren("/rw")).length === 4);
  assert.deepEqual(await new ReadLock(zks[0], "/rw").contenders(), ["r1", "r2", "w", "r3"]);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(events, []);
  await r1.release();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(events, [], "the writer waits for the second reader");
  await r2.release();
  const w = await within(writer, 5000, "writer");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(events, ["w"], "r3 waits for the writer");
  // A plain Lock on the path ignores readers and conflicts with the writer.
  assert.equal(await new Lock(zks[0], "/rw").tryAcquire(), null);
  await w.release();
  const reader3 = await within(r3, 5000, "r3");
  assert.deepEqual(events, ["w", "r3"]);
  const w2 = await new WriteLock(zks[2], "/rw").tryAcquire();
  assert.equal(w2, null, "a writer can't join a reader");
  await reader3.release();
  assert.deepEqual(await zks[0].getChildren("/rw"), []);
});

Deno.test("Lock: a non-ephemeral lock node outlives its session", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("persistent");
  const [a, b] = await chrootedClients(cluster, chroot, 2);
  let handle: LockHandle | undefined;
  try {
    handle = await new Lock(a, "/lock", "a").acquire({ ephemeral: false });
    assert.equal((await b.exists(handle.path))?.ephemeralOwner, 0n);
    await a.close();
    assert.ok(await b.exists(handle.path));
    assert.equal(await new Lock(b, "/lock").tryAcquire(), null);
    await b.delete(handle.path);
  } finally {
    await closeAll([a, b]);
  }
});

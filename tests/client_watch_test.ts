/**
 * Watches against a real ZooKeeper: one-shot, persistent and recursive,
 * ordering, removal, and listeners that misbehave.
 */
import assert from "node:assert/strict";
import { NoWatcherError, type WatchedEvent } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { deferred, eventually, within } from "./helpers.ts";

const summary = (e: WatchedEvent) => `${e.type} ${e.path}`;

const fixture = clusterFixture({ freePorts: true });

Deno.test(
  "a data watch fires once for the next change, with the client's path",
  async (t) => {
    await using zk = await fixture.client(t);
    await zk.create("/n", "1");
    const events: WatchedEvent[] = [];
    await zk.get("/n", { watch: (e) => void events.push(e) });
    await zk.set("/n", "2");
    await zk.set("/n", "3");
    await eventually(() => events.length > 0);
    await zk.exists("/n"); // a round trip: any second event would have arrived
    assert.deepEqual(events.map(summary), ["CHANGED /n"]);
    assert.equal(events[0].state, "CONNECTED");
  },
);

Deno.test("an exists watch on a missing node fires on its creation", async (t) => {
  await using zk = await fixture.client(t);
  const fired = deferred<WatchedEvent>();
  assert.equal(await zk.exists("/later", { watch: fired.resolve }), null);
  await zk.create("/later");
  assert.equal(summary(await within(fired.promise, 5000, "exists watch")), "CREATED /later");
});

Deno.test("a child watch fires when a child is added, and on deletion", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/p");
  const events: string[] = [];
  await zk.getChildren("/p", { watch: (e) => void events.push(summary(e)) });
  await zk.create("/p/c");
  await eventually(() => events.length === 1);
  await zk.getChildren("/p", { watch: (e) => void events.push(summary(e)) });
  await zk.delete("/p/c");
  await zk.delete("/p");
  await eventually(() => events.length === 2);
  assert.deepEqual(events, ["CHILD /p", "CHILD /p"]);
});

Deno.test("a watch event arrives before the reply that follows it on the wire", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [zk, writer] = clients;
  await zk.create("/o", "0");
  const order: string[] = [];
  await zk.get("/o", { watch: () => void order.push("event") });
  // Another session changes the node; the server queues our notification
  // before it answers our next read, and we must deliver them in that order.
  await writer.set("/o", "1");
  await zk.get("/o").then(() => order.push("reply"));
  assert.deepEqual(order, ["event", "reply"]);
});

Deno.test(
  "a recursive watch reports the whole subtree until its signal aborts",
  async (t) => {
    await using zk = await fixture.client(t);
    await zk.create("/r");
    const controller = new AbortController();
    const events: string[] = [];
    const iterator = zk.watch("/r", { recursive: true, signal: controller.signal });
    const consumer = (async () => {
      for await (const e of iterator) {
        if (e.type === "NONE") continue;
        events.push(summary(e));
        if (events.length === 4) controller.abort();
      }
    })();
    await eventually(async () => {
      try {
        await zk.checkWatches("/r", { type: "any" });
        return true;
      } catch {
        return false;
      }
    });
    await zk.create("/r/a");
    await zk.create("/r/a/b", "x");
    await zk.set("/r/a/b", "y");
    await zk.delete("/r/a/b");
    await within(consumer, 5000, "recursive watch consumer");
    assert.deepEqual(events, [
      "CREATED /r/a",
      "CREATED /r/a/b",
      "CHANGED /r/a/b",
      "DELETED /r/a/b",
    ]);
    // Ending the iteration removed the server's watch.
    await eventually(
      async () => {
        try {
          await zk.checkWatches("/r", { type: "any" });
          return false;
        } catch (e) {
          return e instanceof NoWatcherError;
        }
      },
      5000,
      "server watch removed",
    );
  },
);

Deno.test("a persistent watch keeps firing; removeWatches stops it", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/p", "0");
  const events: string[] = [];
  const listener = (e: WatchedEvent) => void events.push(summary(e));
  await zk.addWatch("/p", listener);
  await zk.set("/p", "1");
  await zk.set("/p", "2");
  await zk.create("/p/child");
  await eventually(() => events.length === 3);
  assert.deepEqual(events, ["CHANGED /p", "CHANGED /p", "CHILD /p"]);
  await zk.removeWatches("/p", { type: "any" });
  await zk.set("/p", "3");
  await zk.exists("/p");
  assert.equal(events.length, 3);
  await assert.rejects(zk.removeWatches("/p", { watcher: listener }), NoWatcherError);
});

Deno.test("removing one of two watchers keeps the server watch for the other", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/w", "0");
  let a = 0, b = 0;
  const wa = () => void a++;
  const wb = () => void b++;
  await zk.get("/w", { watch: wa });
  await zk.get("/w", { watch: wb });
  await zk.removeWatches("/w", { type: "data", watcher: wa });
  await zk.set("/w", "1");
  await eventually(() => b === 1);
  assert.equal(a, 0);
});

Deno.test(
  "a throwing or slow listener does not stall others or the connection",
  async (t) => {
    await using zk = await fixture.client(t);
    await zk.create("/b", "0");
    let good = 0;
    let release!: () => void;
    const slow = new Promise<void>((r) => release = r);
    await zk.addWatch("/b", () => {
      throw new Error("listener bug");
    });
    await zk.addWatch("/b", () => slow); // never settles until released
    await zk.addWatch("/b", () => void good++);
    for (let i = 0; i < 5; i++) await zk.set("/b", String(i));
    await eventually(() => good === 5);
    assert.ok((await zk.get("/b")).stat.version === 5);
    release();
  },
);

Deno.test("a watch iterator ends when the client closes", async (t) => {
  const zk = await fixture.client(t);
  await zk.create("/c");
  const iterator = zk.watch("/c");
  const done = (async () => {
    const seen: string[] = [];
    for await (const e of iterator) seen.push(`${e.type}:${e.state}`);
    return seen;
  })();
  await eventually(async () => {
    try {
      await zk.checkWatches("/c");
      return true;
    } catch {
      return false;
    }
  });
  await zk.close();
  assert.deepEqual(await within(done, 5000, "iterator end"), ["NONE:CLOSED"]);
});

/**
 * Watches against a real ZooKeeper: one-shot, persistent and recursive,
 * ordering, removal, and listeners that misbehave.
 */
import assert from "node:assert/strict";
import { NoWatcherError, type WatchedEvent } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { chrootedClient, deferred, eventually, uniqueChroot, within } from "./helpers.ts";

const summary = (e: WatchedEvent) => `${e.type} ${e.path}`;

Deno.test({
  name: "watches against a standalone server",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn(t) {
    await using cluster = await ZooKeeperCluster.start();
    const client = (name: string) => chrootedClient(cluster, uniqueChroot(name));

    await t.step(
      "a data watch fires once for the next change, with the client's path",
      async () => {
        await using zk = await client("data-watch");
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

    await t.step("an exists watch on a missing node fires on its creation", async () => {
      await using zk = await client("exists-watch");
      const fired = deferred<WatchedEvent>();
      assert.equal(await zk.exists("/later", { watch: fired.resolve }), null);
      await zk.create("/later");
      assert.equal(summary(await within(fired.promise, 5000, "exists watch")), "CREATED /later");
    });

    await t.step("a child watch fires when a child is added, and on deletion", async () => {
      await using zk = await client("child-watch");
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

    await t.step("a watch event arrives before the reply that follows it on the wire", async () => {
      const chroot = uniqueChroot("ordering");
      await using zk = await chrootedClient(cluster, chroot);
      await using writer = await chrootedClient(cluster, chroot);
      await zk.create("/o", "0");
      const order: string[] = [];
      await zk.get("/o", { watch: () => void order.push("event") });
      // Another session changes the node; the server queues our notification
      // before it answers our next read, and we must deliver them in that order.
      await writer.set("/o", "1");
      await zk.get("/o").then(() => order.push("reply"));
      assert.deepEqual(order, ["event", "reply"]);
    });

    await t.step(
      "a recursive watch reports the whole subtree until its signal aborts",
      async () => {
        await using zk = await client("recursive");
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

    await t.step("a persistent watch keeps firing; removeWatches stops it", async () => {
      await using zk = await client("persistent");
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

    await t.step("removing one of two watchers keeps the server watch for the other", async () => {
      await using zk = await client("remove-one");
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

    await t.step(
      "a throwing or slow listener does not stall others or the connection",
      async () => {
        await using zk = await client("bad-listener");
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

    await t.step("a watch iterator ends when the client closes", async () => {
      const zk = await client("close-ends");
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
  },
});

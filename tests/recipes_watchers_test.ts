/**
 * DataWatch and ChildrenWatch against a real server: kazoo's behaviours
 * (called at once and on each change, stopped by `false`, missing and
 * re-created nodes), reconnects through a proxy that cuts the connection,
 * real session expiry, async iteration, and no server watch left behind.
 */
import assert from "node:assert/strict";
import {
  connect,
  NoNodeError,
  NoWatcherError,
  State,
  type WatchedEvent,
  type ZooKeeperClient,
} from "../mod.ts";
import { clusterFixture, expireSession, FaultProxy } from "../lib/testing/mod.ts";
import { ChildrenWatch } from "../recipes/children_watch.ts";
import { DataWatch } from "../recipes/data_watch.ts";
import {
  eventually,
  proxiedClient,
  serverHoldsNoWatch,
  uniqueChroot,
  watchedPaths,
  whileCutOff,
  within,
} from "./helpers.ts";
import { text } from "./bytes.ts";

/** Resolves once the server holds no watch of `type` on `path` for `zk`'s session. */
async function noServerWatch(zk: ZooKeeperClient, path: string, type: "data" | "children") {
  await eventually(() => serverHoldsNoWatch(zk, path, type), 5000, `no ${type} watch on ${path}`);
}

/** A round trip on `zk`: any notification the server queued before it has been delivered. */
const roundTrip = (zk: ZooKeeperClient) => zk.exists("/");

const fixture = clusterFixture({ freePorts: true });

/** A client under a fresh chroot, through a proxy (to the first member) that can cut its connection. */
async function proxied(name: string) {
  const cluster = await fixture.cluster();
  return await proxiedClient(cluster, uniqueChroot(name), { member: cluster.members[0] });
}

Deno.test(
  "DataWatch/ChildrenWatch: a DataWatch is called at once, then once per change with the event",
  async () => {
    await using env = await proxied("dw-basic");
    const { zk } = env;
    await zk.create("/n", "1");
    const calls: string[] = [];
    await using watch = new DataWatch(zk, "/n", (data, stat, event) => {
      calls.push(`${text(data)} v${stat?.version} ${event?.type ?? "-"}`);
    });
    await within(watch.ready, 5000, "first call");
    assert.deepEqual(calls, ["1 v0 -"]);
    await zk.set("/n", "2");
    await eventually(() => calls.length === 2);
    await zk.set("/n", "3");
    await eventually(() => calls.length === 3);
    await roundTrip(zk);
    assert.deepEqual(calls, ["1 v0 -", "2 v1 CHANGED", "3 v2 CHANGED"]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a DataWatch on a missing node gets nulls, then follows deletes and re-creations",
  async () => {
    await using env = await proxied("dw-missing");
    const { zk } = env;
    const calls: string[] = [];
    await using watch = new DataWatch(zk, "/m", (data, stat, event) => {
      calls.push(`${text(data)} ${stat === null ? "-" : "stat"} ${event?.type ?? "-"}`);
    });
    await watch.ready;
    assert.deepEqual(calls, ["null - -"]);
    for (let round = 0; round < 3; round++) {
      await zk.create("/m", `v${round}`);
      await eventually(() => calls.length === 2 + round * 2, 5000, `created ${round}`);
      await zk.delete("/m");
      await eventually(() => calls.length === 3 + round * 2, 5000, `deleted ${round}`);
    }
    assert.deepEqual(calls, [
      "null - -",
      "v0 stat CREATED",
      "null - DELETED",
      "v1 stat CREATED",
      "null - DELETED",
      "v2 stat CREATED",
      "null - DELETED",
    ]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: returning false stops a DataWatch and removes its server watch",
  async () => {
    await using env = await proxied("dw-false");
    const { zk } = env;
    await zk.create("/f", "0");
    const seen: string[] = [];
    const watch = new DataWatch(zk, "/f", (data) => {
      seen.push(text(data)!);
      return data !== null && text(data) !== "1";
    });
    await watch.ready;
    await zk.set("/f", "1");
    await eventually(() => seen.length === 2);
    await eventually(() => watch.stopped);
    await noServerWatch(zk, "/f", "data");
    await zk.set("/f", "2");
    await roundTrip(zk);
    assert.deepEqual(seen, ["0", "1"]);
    await watch.close(); // idempotent after stopping
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a DataWatch reads again after a reconnect: a change made meanwhile is reported once",
  async () => {
    await using env = await proxied("dw-reconnect");
    const { zk, admin } = env;
    await zk.create("/r", "before");
    const calls: string[] = [];
    await using watch = new DataWatch(zk, "/r", (data) => void calls.push(text(data)!));
    await watch.ready;
    await whileCutOff(zk, env.proxy, async () => void await admin.set("/r", "while-down"));
    await eventually(() => calls.length >= 2, 5000, "change reported");
    // A reconnect without a change calls nothing.
    await whileCutOff(zk, env.proxy, async () => {});
    await zk.set("/r", "after");
    await eventually(() => calls.length >= 3, 5000, "later change");
    await roundTrip(zk);
    assert.deepEqual(calls, ["before", "while-down", "after"]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a DataWatch follows its node across a session expiry",
  async () => {
    const cluster = await fixture.cluster();
    await using env = await proxied("dw-expiry");
    const { zk, admin } = env;
    await zk.create("/e", "0");
    const calls: string[] = [];
    await using watch = new DataWatch(zk, "/e", (data) => void calls.push(text(data)!));
    await watch.ready;
    const session = zk.sessionId;
    await expireSession(zk, { cluster });
    await eventually(() => zk.state === State.CONNECTED && zk.sessionId !== session);
    await admin.set("/e", "1");
    await eventually(() => calls.length === 2, 5000, "change after expiry");
    await admin.set("/e", "2");
    await eventually(() => calls.length === 3, 5000, "second change after expiry");
    assert.deepEqual(calls, ["0", "1", "2"]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a throwing function is reported to onError and the DataWatch keeps going",
  async () => {
    await using env = await proxied("dw-throws");
    const { zk } = env;
    await zk.create("/t", "0");
    const errors: unknown[] = [];
    let calls = 0;
    await using watch = new DataWatch(zk, "/t", () => {
      calls++;
      throw new Error("bug in callback");
    }, { onError: (e) => errors.push(e) });
    await watch.ready;
    await zk.set("/t", "1");
    await eventually(() => calls === 2);
    assert.equal(errors.length, 2);
    assert.equal((errors[0] as Error).message, "bug in callback");
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a DataWatch is an async iterable; aborting its signal ends the loop and removes the watch",
  async () => {
    await using env = await proxied("dw-iterate");
    const { zk, admin } = env;
    await zk.create("/i", "0");
    const controller = new AbortController();
    const seen: (string | null)[] = [];
    const loop = (async () => {
      for await (const { data } of new DataWatch(zk, "/i", { signal: controller.signal })) {
        seen.push(text(data));
        if (seen.length === 1) await admin.set("/i", "1");
        else if (seen.length === 2) await admin.delete("/i");
        else controller.abort();
      }
    })();
    await within(loop, 5000, "iteration");
    assert.deepEqual(seen, ["0", "1", null]);
    // The last read left an exists watch on the missing node: it is gone too.
    await noServerWatch(zk, "/i", "data");
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: breaking out of a DataWatch loop closes it",
  async () => {
    await using env = await proxied("dw-break");
    const { zk } = env;
    await zk.create("/b", "x");
    for await (const { stat } of new DataWatch(zk, "/b")) {
      assert.equal(stat?.version, 0);
      break;
    }
    await noServerWatch(zk, "/b", "data");
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a ChildrenWatch is called at once and per change; sendEvent passes the event",
  async () => {
    await using env = await proxied("cw-basic");
    const { zk } = env;
    await zk.create("/p");
    await zk.create("/p/a");
    const calls: string[] = [];
    await using watch = new ChildrenWatch(zk, "/p", (children, event) => {
      calls.push(`${[...children].sort().join(",")} ${event?.type ?? "-"}`);
    }, { sendEvent: true });
    await watch.ready;
    await zk.create("/p/b");
    await eventually(() => calls.length === 2);
    await zk.delete("/p/a");
    await eventually(() => calls.length === 3);
    await zk.set("/p", "data changes are not child changes");
    await roundTrip(zk);
    assert.deepEqual(calls, ["a -", "a,b CHILD", "b CHILD"]);

    const plain: unknown[][] = [];
    await using second = new ChildrenWatch(zk, "/p", (...args) => void plain.push(args));
    await second.ready;
    await zk.create("/p/c");
    await eventually(() => plain.length === 2);
    assert.equal(plain[1].length, 1, "no event without sendEvent");
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a ChildrenWatch needs its node: missing, ready rejects and iteration throws NoNodeError",
  async () => {
    await using env = await proxied("cw-missing");
    const { zk } = env;
    let calls = 0;
    const watch = new ChildrenWatch(zk, "/nope", () => void calls++);
    await assert.rejects(watch.ready, NoNodeError);
    assert.equal(watch.stopped, true);
    assert.equal(calls, 0);
    await assert.rejects(async () => {
      for await (const _ of new ChildrenWatch(zk, "/nope")) {
        assert.fail("no value for a missing node");
      }
    }, NoNodeError);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: deleting a ChildrenWatch's node ends it quietly; its re-creation is not watched",
  async () => {
    await using env = await proxied("cw-deleted");
    const { zk } = env;
    await zk.create("/d");
    const calls: string[][] = [];
    const watch = new ChildrenWatch(zk, "/d", (children) => void calls.push(children));
    await watch.ready;
    await zk.delete("/d");
    await eventually(() => watch.stopped, 5000, "stopped on deletion");
    await zk.create("/d");
    await zk.create("/d/x");
    await roundTrip(zk);
    assert.deepEqual(calls, [[]]);
    await noServerWatch(zk, "/d", "children");
    await watch.close();
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: returning false stops a ChildrenWatch and removes its server watch",
  async () => {
    await using env = await proxied("cw-false");
    const { zk } = env;
    await zk.create("/q");
    const calls: number[] = [];
    const watch = new ChildrenWatch(zk, "/q", (children) => {
      calls.push(children.length);
      return children.length < 2;
    });
    await watch.ready;
    await zk.create("/q/1");
    await eventually(() => calls.length === 2);
    await zk.create("/q/2");
    await eventually(() => watch.stopped);
    await noServerWatch(zk, "/q", "children");
    await zk.create("/q/3");
    await roundTrip(zk);
    assert.deepEqual(calls, [0, 1, 2]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a ChildrenWatch reads again after a reconnect and calls only for a real change",
  async () => {
    await using env = await proxied("cw-reconnect");
    const { zk, admin } = env;
    await zk.create("/c");
    const calls: string[] = [];
    await using watch = new ChildrenWatch(
      zk,
      "/c",
      (children) => void calls.push([...children].sort().join(",")),
    );
    await watch.ready;
    await whileCutOff(zk, env.proxy, async () => void await admin.create("/c/x"));
    await eventually(() => calls.length >= 2, 5000, "change while down");
    await whileCutOff(zk, env.proxy, async () => {});
    await roundTrip(zk);
    await zk.create("/c/y");
    await eventually(() => calls.length >= 3, 5000, "later change");
    await roundTrip(zk);
    assert.deepEqual(calls, ["", "x", "x,y"]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a ChildrenWatch follows its node across a session expiry",
  async () => {
    const cluster = await fixture.cluster();
    await using env = await proxied("cw-expiry");
    const { zk, admin } = env;
    await zk.create("/s");
    const calls: string[] = [];
    await using watch = new ChildrenWatch(
      zk,
      "/s",
      (children) => void calls.push([...children].sort().join(",")),
    );
    await watch.ready;
    const session = zk.sessionId;
    await expireSession(zk, { cluster });
    await eventually(() => zk.state === State.CONNECTED && zk.sessionId !== session);
    await admin.create("/s/after");
    await eventually(() => calls.length === 2, 5000, "change after expiry");
    assert.deepEqual(calls, ["", "after"]);
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: a ChildrenWatch is an async iterable that ends when its node is deleted",
  async () => {
    await using env = await proxied("cw-iterate");
    const { zk, admin } = env;
    await zk.create("/it");
    const seen: string[] = [];
    const events: (WatchedEvent | undefined)[] = [];
    for await (const { children, event } of new ChildrenWatch(zk, "/it")) {
      seen.push(children.join(","));
      events.push(event);
      if (seen.length === 1) await admin.create("/it/a");
      else if (seen.length === 2) await admin.delete("/it/a");
      else await admin.delete("/it");
    }
    assert.deepEqual(seen, ["", "a", ""]);
    assert.deepEqual(events.map((e) => e?.type), [undefined, "CHILD", "CHILD"]);
    await noServerWatch(zk, "/it", "children");
  },
);

Deno.test(
  "DataWatch/ChildrenWatch: closing watches on a client leaves no watch in the server's wchc listing",
  async () => {
    await using env = await proxied("close-all");
    const { zk } = env;
    const member = (await fixture.cluster()).members[0];
    await zk.create("/w", "0");
    await zk.create("/w/c");
    const data = new DataWatch(zk, "/w", () => {});
    const missing = new DataWatch(zk, "/w/none", () => {});
    const children = new ChildrenWatch(zk, "/w", () => {});
    await Promise.all([data.ready, missing.ready, children.ready]);
    const before = watchedPaths(await member.fourLetterWord("wchc"), zk.sessionId);
    assert.equal(before.length, 2, `watched: ${before}`);
    assert.ok(before.every((p) => p.endsWith("/w") || p.endsWith("/w/none")), `${before}`);
    await Promise.all([data.close(), missing.close(), children.close()]);
    const after = watchedPaths(await member.fourLetterWord("wchc"), zk.sessionId);
    assert.deepEqual(after, []);
  },
);

// A watched read whose signal aborts after the request went out: the server
// set the watch, so the client takes it off again when the late reply comes.
Deno.test({
  name: "a watched read aborted in flight leaves no server watch the client does not know",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn(t) {
    const cluster = await fixture.cluster();
    const member = cluster.members[0];
    await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
    // The test's chroot, made by a direct client, and the client under test through the proxy.
    await using _admin = await fixture.client(t);
    await using zk = await connect(`${proxy.address}${fixture.chroot(t)}`, {
      sessionTimeout: 10_000,
    });
    await zk.create("/n", "0");
    const controller = new AbortController();
    proxy.stall();
    const read = zk.get("/n", { watch: () => {}, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await assert.rejects(read);
    proxy.pass();
    await zk.sync("/n");
    await assert.rejects(zk.checkWatches("/n", { type: "data" }), NoWatcherError);
  },
});

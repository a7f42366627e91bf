/**
 * PersistentNode and GroupMember in Curator's formats: the node is back with
 * its data and name after a real session expiry or a deletion (seen by a
 * Curator CuratorCache in another process), and @zk/client and Curator
 * GroupMembers see each other.
 */
import assert from "node:assert/strict";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import {
  BadArgumentsError,
  GroupMember,
  InvalidPathError,
  PersistentNode,
  PersistentNodeMode,
} from "../mod.ts";
import { CuratorTool } from "./curator/tool.ts";
import { eventually, proxiedClient, watchedPaths, whileCutOff } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test({
  name:
    "PersistentNode: after a real session expiry the node is back with its data, and Curator's CuratorCache sees it",
  async fn(t) {
    const cluster = await fixture.cluster();
    await using zk = await fixture.client(t);
    await using node = new PersistentNode(zk, "/pn/member-", "payload-1", {
      mode: PersistentNodeMode.PROTECTED_EPHEMERAL_SEQUENTIAL,
    });
    node.start();
    assert.equal(await node.waitForInitialCreate({ timeout: 30_000 }), true);
    const path = node.actualPath!;
    assert.match(
      path,
      /^\/pn\/_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-member-\d{10}$/,
    );

    const hosts = cluster.connectionString({ chroot: fixture.chroot(t) });
    await using java = await CuratorTool.start("NodeTool.java", [hosts, "watch", path]);
    const first = await java.next((r) => r.event === "node", "Curator sees the node");
    assert.equal(first.data, "payload-1");
    assert.equal(BigInt(`0x${first.owner}`), zk.sessionId);

    await node.setData("payload-2");
    await java.next(
      (r) => r.type === "NODE_CHANGED" && r.data === "payload-2",
      "Curator sees new data",
    );

    const before = zk.sessionId;
    await expireSession(zk, { cluster });
    await java.next((r) => r.type === "NODE_DELETED", "Curator sees it go with the session");
    const back = await java.next((r) => r.type === "NODE_CREATED", "Curator sees it back");
    assert.equal(back.path, path, "the same name");
    assert.equal(back.data, "payload-2", "the latest data");
    assert.notEqual(zk.sessionId, before);
    assert.equal(BigInt(`0x${back.owner}`), zk.sessionId, "owned by the new session");
    assert.equal(node.actualPath, path);

    await node.close();
    await java.next((r) => r.type === "NODE_DELETED", "Curator sees it closed");
    assert.equal(await zk.exists(path), null);
  },
});

Deno.test("PersistentNode: a deleted node comes back under its name; foreign data is left alone", async (t) => {
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  await using node = new PersistentNode(zk, "/a/b/node", "mine", {
    mode: PersistentNodeMode.EPHEMERAL,
  });
  node.start();
  assert.equal(await node.waitForInitialCreate(), true);
  assert.equal(node.actualPath, "/a/b/node");
  const created = await zk.exists("/a/b/node");
  await other.delete("/a/b/node");
  await eventually(
    async () =>
      (await other.exists("/a/b/node"))?.czxid !== undefined &&
      (await other.exists("/a/b/node"))!.czxid !== created!.czxid,
    20_000,
    "the node re-created",
  );
  assert.equal(text((await other.get("/a/b/node")).data), "mine");
  // As in Curator: another writer's data stays (only re-creates use ours).
  await other.set("/a/b/node", "theirs");
  assert.equal(text((await zk.get("/a/b/node")).data), "theirs");
});

Deno.test("PersistentNode: a same-session reconnect keeps the node and re-writes its data, as Curator", async (t) => {
  const cluster = await fixture.cluster();
  await using proxied = await proxiedClient(cluster, fixture.chroot(t));
  const { zk, admin, proxy } = proxied;
  await using node = new PersistentNode(zk, "/r/x", "kept");
  node.start();
  assert.equal(await node.waitForInitialCreate({ timeout: 30_000 }), true);
  const before = (await admin.exists("/r/x"))!;
  const session = zk.sessionId;
  await whileCutOff(zk, proxy, async () => {});
  assert.equal(zk.sessionId, session);
  await eventually(
    async () => (await admin.exists("/r/x"))!.version > before.version,
    20_000,
    "re-write",
  );
  const after = await admin.get("/r/x");
  assert.equal(after.stat.czxid, before.czxid, "the same node");
  assert.equal(text(after.data), "kept");
});

Deno.test("PersistentNode: persistent sequential modes, close deletes, signals and bad use", async (t) => {
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  const persistent = new PersistentNode(zk, "/p/seq-", "data", {
    mode: PersistentNodeMode.PERSISTENT_SEQUENTIAL,
  });
  persistent.start();
  assert.equal(await persistent.waitForInitialCreate({ timeout: 30_000 }), true);
  const path = persistent.actualPath!;
  assert.match(path, /^\/p\/seq-\d{10}$/);
  assert.equal((await other.exists(path))?.ephemeralOwner, 0n);
  await persistent.close();
  assert.equal(await other.exists(path), null);
  await persistent.close(); // idempotent
  const ephemeral = new PersistentNode(zk, "/p/e", "data");
  ephemeral.start();
  assert.equal(await ephemeral.waitForInitialCreate({ timeout: 30_000 }), true);
  assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), [
    `${fixture.chroot(t)}/p/e`,
  ]);
  await ephemeral.close();
  assert.equal(await other.exists("/p/e"), null);
  assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), []);

  const latent = new PersistentNode(zk, "/never", "x");
  await assert.rejects(latent.waitForInitialCreate(), BadArgumentsError);
  await assert.rejects(latent.setData("y"), BadArgumentsError);
  await latent.close();
  assert.throws(() => new PersistentNode(zk, "relative", "x"), InvalidPathError);
  const controller = new AbortController();
  controller.abort(new Error("gave up"));
  await using waiting = new PersistentNode(zk, "/w", "x");
  waiting.start();
  await assert.rejects(waiting.waitForInitialCreate({ signal: controller.signal }), /gave up/);
});

Deno.test({
  name: "GroupMember: @zk/client and Curator members see each other, and a leaver goes",
  async fn(t) {
    const cluster = await fixture.cluster();
    await using zk = await fixture.client(t);
    const hosts = cluster.connectionString({ chroot: fixture.chroot(t) });
    await using java = await CuratorTool.start("NodeTool.java", [
      hosts,
      "group",
      "/group",
      "java-1",
      "jpayload",
    ]);
    const member = new GroupMember(zk, "/group", "ts-1", "tspayload");
    await member.start();
    assert.equal(await member.waitForInitialCreate({ timeout: 30_000 }), true);
    await java.next(
      (r) =>
        r.event === "members" &&
        JSON.stringify(r.members) === JSON.stringify({ "java-1": "jpayload", "ts-1": "tspayload" }),
      "Curator sees both members",
    );
    await eventually(() => member.getCurrentMembers().has("java-1"), 30_000, "java-1 in our view");
    assert.deepEqual([...member.getCurrentMembers()].map(([id, data]) => [id, text(data)]), [[
      "java-1",
      "jpayload",
    ], [
      "ts-1",
      "tspayload",
    ]]);
    assert.equal((await zk.exists("/group/ts-1"))?.ephemeralOwner, zk.sessionId);

    await member.setThisData("changed");
    await java.next(
      (r) => r.event === "members" && (r.members as Record<string, string>)["ts-1"] === "changed",
      "Curator sees the new payload",
    );
    // Another of ours joins and leaves: Curator's view follows.
    {
      await using second = new GroupMember(zk, "/group", "ts-2");
      await second.start();
      await java.next(
        (r) => r.event === "members" && "ts-2" in (r.members as Record<string, string>),
        "Curator sees ts-2 join",
      );
    }
    await java.next(
      (r) =>
        r.event === "members" &&
        JSON.stringify(r.members) === JSON.stringify({ "java-1": "jpayload", "ts-1": "changed" }),
      "Curator sees ts-2 leave",
    );
    // Java's member leaves (its process dies; its session times out): our view follows.
    java.kill();
    await eventually(() => !member.getCurrentMembers().has("java-1"), 60_000, "java-1 gone");
    await member.close();
    assert.equal(await zk.exists("/group/ts-1"), null);
    assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), []);
  },
});

Deno.test("PersistentNode: closed while its first create is in flight, it leaves no node behind", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/parent");
  for (const mode of [PersistentNodeMode.PERSISTENT, PersistentNodeMode.PERSISTENT_SEQUENTIAL]) {
    for (let ticks = 0; ticks < 8; ticks++) {
      const node = new PersistentNode(zk, `/parent/n-${ticks}-`, "x", { mode });
      node.start();
      // Let the create reach the wire, then close before its reply.
      for (let i = 0; i < ticks; i++) await new Promise((r) => setTimeout(r, 0));
      await node.close();
    }
  }
  assert.deepEqual(await zk.getChildren("/parent"), []);
});

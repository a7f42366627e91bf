/**
 * The client's request API against a real ZooKeeper: CRUD, node modes,
 * transactions, server ops, validation and cancellation.
 */
import assert from "node:assert/strict";
import {
  BadVersionError,
  ClientClosedError,
  connect,
  defaultTransport,
  InvalidPathError,
  makeDigestAcl,
  makeDigestCredential,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  OPEN_ACL_UNSAFE,
  Perms,
  RequestTooLargeError,
  RolledBackError,
  TransactionError,
  type Transport,
} from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { text } from "./bytes.ts";

const fixture = clusterFixture({ freePorts: true, extendedTypes: true });

Deno.test("create, get, set and delete round-trip data and versions", async (t) => {
  await using zk = await fixture.client(t);
  assert.equal(await zk.create("/a", "one"), "/a");
  const first = await zk.get("/a");
  assert.equal(text(first.data), "one");
  assert.equal(first.stat.version, 0);
  assert.equal(first.stat.dataLength, 3);
  assert.ok(first.stat.ctime > Date.now() - 60_000);
  const stat = await zk.set("/a", new Uint8Array([1, 2]), { version: 0 });
  assert.equal(stat.version, 1);
  await assert.rejects(zk.set("/a", "x", { version: 0 }), BadVersionError);
  await assert.rejects(zk.create("/a"), NodeExistsError);
  await assert.rejects(zk.delete("/a", { version: 7 }), BadVersionError);
  await zk.delete("/a", { version: 1 });
  assert.equal(await zk.exists("/a"), null);
  await assert.rejects(
    zk.get("/a"),
    (e: unknown) => e instanceof NoNodeError && e.path === "/a",
  );
});

Deno.test("sequential and ephemeral nodes, and includeStat", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/q");
  const one = await zk.create("/q/item-", "x", { sequential: true });
  const two = await zk.create("/q/item-", "y", {
    sequential: true,
    ephemeral: true,
    includeStat: true,
  });
  assert.match(one, /^\/q\/item-\d{10}$/);
  assert.ok(two.path > one);
  assert.equal(two.stat.ephemeralOwner, zk.sessionId);
  const { children, stat } = await zk.getChildren("/q", { includeStat: true });
  assert.deepEqual(children.sort(), [one, two.path].map((p) => p.slice(3)).sort());
  assert.equal(stat.numChildren, 2);
  await assert.rejects(zk.create(two.path + "/child"), /ephemeral/i);
});

Deno.test("makeParents, ensurePath and recursive delete", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/x/y/z", "deep", { makeParents: true });
  await zk.ensurePath("/x/y/w/v");
  await zk.ensurePath("/x/y/w/v"); // twice is fine
  assert.equal(text((await zk.get("/x/y/z")).data), "deep");
  await assert.rejects(zk.delete("/x"), NotEmptyError);
  await zk.delete("/x", { recursive: true });
  assert.equal(await zk.exists("/x"), null);
  await zk.delete("/gone", { recursive: true }); // missing is fine when recursive
});

Deno.test("container and TTL nodes", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/c", null, { container: true });
  const ttl = await zk.create("/t", "x", { ttl: 60_000, includeStat: true });
  assert.equal(ttl.path, "/t");
  assert.ok((await zk.exists("/c")) !== null);
});

Deno.test("transactions commit atomically or report the failing op", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/m", "0");
  const results = await zk.transaction()
    .create("/m/a", "1")
    .check("/m", 0)
    .setData("/m", "2")
    .create("/m/s-", null, { sequential: true, includeStat: true })
    .commit();
  assert.equal(results.length, 4);
  assert.deepEqual(results[0], { type: "create", path: "/m/a" });
  assert.equal(results[1].type, "check");
  assert.equal(results[2].type === "setData" && results[2].stat.version, 1);
  assert.ok(results[3].type === "create" && results[3].path.startsWith("/m/s-"));

  const failure = await zk.transaction()
    .create("/m/b")
    .delete("/m/missing")
    .setData("/m", "3")
    .commit()
    .catch((e) => e);
  assert.ok(failure instanceof TransactionError);
  assert.equal(failure.failedIndex, 1);
  assert.ok(failure.results[0] instanceof RolledBackError);
  assert.ok(failure.results[1] instanceof NoNodeError);
  assert.ok(failure.results[2] instanceof RolledBackError);
  assert.equal(await zk.exists("/m/b"), null, "nothing of a failed transaction is applied");
  assert.deepEqual(await zk.transaction().commit(), []);
});

Deno.test("multiRead returns a value or an error per op", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/r", "data");
  await zk.create("/r/c");
  const [data, children, missing] = await zk.multiRead([
    { op: "get", path: "/r" },
    { op: "getChildren", path: "/r" },
    { op: "get", path: "/none" },
  ]);
  assert.ok(!(data instanceof Error) && !Array.isArray(data));
  assert.equal(text(data.data), "data");
  assert.deepEqual(children, ["c"]);
  assert.ok(missing instanceof NoNodeError);
});

Deno.test("ACLs: digest ACL allows the matching credential only", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/secret", "s", { acl: [makeDigestAcl("alice", "pw", Perms.ALL)] });
  await assert.rejects(zk.get("/secret"), NoAuthError);
  await assert.rejects(zk.getACL("/secret"), NoAuthError); // 3.6+: reading an ACL needs READ or ADMIN
  await zk.addAuth("digest", "alice:pw");
  const { acl } = await zk.getACL("/secret");
  assert.deepEqual(acl, [{
    perms: Perms.ALL,
    id: { scheme: "digest", id: makeDigestCredential("alice", "pw") },
  }]);
  assert.equal(text((await zk.get("/secret")).data), "s");
  const stat = await zk.setACL("/secret", OPEN_ACL_UNSAFE, { version: 0 });
  assert.equal(stat.aversion, 1);
});

Deno.test(
  "server ops: sync, getEphemerals, getAllChildrenNumber, whoAmI, version",
  async (t) => {
    await using zk = await fixture.client(t);
    await zk.create("/e", null);
    await zk.create("/e/1", null, { ephemeral: true });
    await zk.create("/e/2", null, { ephemeral: true });
    await zk.sync("/e");
    assert.deepEqual((await zk.getEphemerals()).sort(), ["/e/1", "/e/2"]);
    assert.deepEqual(await zk.getEphemerals("/e/1"), ["/e/1"]);
    assert.equal(await zk.getAllChildrenNumber("/e"), 2);
    assert.deepEqual(await zk.whoAmI(), [{ authScheme: "ip", user: "127.0.0.1" }]);
    assert.match(await zk.serverVersion(), /^3\.\d+\.\d+/);
    assert.match(await zk.command("ruok"), /imok/);
  },
);

Deno.test("a bad path is refused before anything reaches the server", async (t) => {
  let written = 0;
  const inner = defaultTransport();
  const counting: Transport = {
    async connect(host, port, options) {
      const conn = await inner.connect(host, port, options);
      const writable = new WritableStream<Uint8Array>({
        async write(chunk) {
          written += chunk.length;
          const w = conn.writable.getWriter();
          try {
            await w.write(chunk);
          } finally {
            w.releaseLock();
          }
        },
      });
      return {
        readable: conn.readable,
        writable,
        remoteAddress: conn.remoteAddress,
        close: () => conn.close(),
      };
    },
  };
  await using zk = await fixture.client(t, { transport: counting });
  await zk.exists("/"); // settle the handshake traffic
  const before = written;
  for (const bad of ["a", "/a/", "/a//b", "/a/./b", "/a/../b", "/a\u0000b", "", "/\ud800"]) {
    await assert.rejects(zk.create(bad), InvalidPathError, JSON.stringify(bad));
    await assert.rejects(zk.get(bad), InvalidPathError);
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(written, before);
  assert.ok(await zk.exists("/") !== null, "the connection is still fine");
});

Deno.test(
  "a request over maxPacketSize fails clearly and the connection stays up",
  async (t) => {
    await using zk = await fixture.client(t);
    const session = zk.sessionId;
    const error = await zk.create("/big", new Uint8Array(2 * 1024 * 1024)).catch((e) => e);
    assert.ok(error instanceof RequestTooLargeError);
    assert.ok(error.size > error.limit);
    assert.equal(error.limit, 0xfffff);
    await zk.create("/small", new Uint8Array(1000));
    assert.equal(zk.sessionId, session);
    assert.equal(zk.state, "CONNECTED");
  },
);

Deno.test("aborting a call rejects it with the signal's reason", async (t) => {
  await using zk = await fixture.client(t);
  const reason = new Error("changed my mind");
  const controller = new AbortController();
  const pending = zk.get("/", { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  await assert.rejects(zk.get("/", { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.ok(await zk.exists("/") !== null, "later calls still work");
});

Deno.test(
  "after close every call fails with ClientClosedError and ephemerals are gone",
  async (t) => {
    const cluster = await fixture.cluster();
    const chroot = fixture.chroot(t);
    const zk = await fixture.client(t);
    await zk.create("/eph", null, { ephemeral: true });
    await zk.close();
    await zk.close(); // idempotent
    assert.equal(zk.state, "LOST");
    await assert.rejects(zk.get("/"), ClientClosedError);
    await using other = await connect(cluster.connectionString({ chroot }));
    assert.equal(await other.exists("/eph"), null, "closeSession removes ephemerals at once");
  },
);

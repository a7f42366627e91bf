/**
 * Sessions that survive: failover in an ensemble, requests queued while
 * SUSPENDED, stalls noticed within the read timeout, real expiry, resume,
 * and protocol violations.
 */
import assert from "node:assert/strict";
import {
  ClientClosedError,
  ConfigurationError,
  connect,
  ConnectionLossError,
  SessionExpiredError,
  State,
  type Transport,
  type WatchedEvent,
  ZooKeeperClient,
} from "../mod.ts";
import { clusterFixture, expireSession, FaultProxy } from "../lib/testing/mod.ts";
import { cutOff, deferred, eventually, nextState, uniqueChroot, within } from "./helpers.ts";
import { text } from "./bytes.ts";

const ensemble = clusterFixture({ freePorts: true, size: 3 });

Deno.test(
  "when the connected member dies the client moves on with its session, ephemerals and watches",
  async () => {
    const cluster = await ensemble.cluster();
    const chroot = uniqueChroot("failover");
    await using admin = await connect(cluster.connectionString());
    await admin.ensurePath(chroot);
    await using zk = await connect(cluster.connectionString({ chroot }), {
      sessionTimeout: 6000,
    });
    await zk.create("/data", "0");
    await zk.create("/tree");
    await zk.create("/eph", "mine", { ephemeral: true });
    const session = zk.sessionId;
    const oneShot = deferred<WatchedEvent>();
    await zk.get("/data", { watch: oneShot.resolve });
    const recursive: string[] = [];
    await zk.addWatch("/tree", (e) => {
      if (e.type !== "NONE") recursive.push(`${e.type} ${e.path}`);
    }, { recursive: true });

    const member = cluster.members.find((m) => m.address === zk.connectedAddress);
    assert.ok(member, `connected to a member (${zk.connectedAddress})`);
    const suspended = nextState(zk, (s) => s === State.SUSPENDED);
    const reconnected = suspended.then(() => nextState(zk, (s) => s !== State.SUSPENDED));
    await member.kill();
    await suspended;
    assert.equal(await reconnected, State.CONNECTED);
    assert.equal(zk.sessionId, session, "same session");
    assert.notEqual(zk.connectedAddress, member.address);
    assert.equal(text((await zk.get("/eph")).data), "mine", "ephemeral kept");

    await admin.set(`${chroot}/data`, "1");
    await admin.create(`${chroot}/tree/x`, "y");
    assert.equal((await within(oneShot.promise, 5000, "one-shot watch")).type, "CHANGED");
    await eventually(() => recursive.length === 1, 5000, "recursive watch");
    assert.deepEqual(recursive, ["CREATED /tree/x"]);
    await member.start();
    await cluster.waitUntilServing();
  },
);

Deno.test("requests issued while SUSPENDED complete after the reconnect", async () => {
  const cluster = await ensemble.cluster();
  const member = cluster.members[0];
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  const chroot = uniqueChroot("suspended");
  await using admin = await connect(cluster.connectionString());
  await admin.ensurePath(chroot);
  await using zk = await connect(`${proxy.address}${chroot}`, { sessionTimeout: 8000 });
  const session = zk.sessionId;
  await cutOff(zk, proxy);
  const pending = Promise.all([zk.create("/queued", "q"), zk.get("/")]);
  await new Promise((r) => setTimeout(r, 200));
  proxy.accept();
  const [created, root] = await within(pending, 10_000, "queued requests");
  assert.equal(created, "/queued");
  assert.ok(root.stat.numChildren >= 1);
  assert.equal(zk.sessionId, session);
});

Deno.test(
  "a request in flight when the connection drops fails with ConnectionLossError",
  async () => {
    const cluster = await ensemble.cluster();
    const member = cluster.members[1];
    await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
    await using zk = await connect(proxy.address, { sessionTimeout: 8000 });
    proxy.stall();
    const inflight = zk.exists("/");
    await new Promise((r) => setTimeout(r, 50));
    await proxy.cut();
    await assert.rejects(inflight, ConnectionLossError);
    proxy.pass();
    await zk.exists("/"); // waits for the reconnect, then works
  },
);

Deno.test("a stalled connection is noticed within the read timeout", async () => {
  const cluster = await ensemble.cluster();
  const member = cluster.members[2];
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  await using zk = await connect(proxy.address, { sessionTimeout: 3000 });
  const readTimeout = (zk.negotiatedTimeout * 2) / 3;
  const started = performance.now();
  proxy.stall();
  await nextState(zk, (s) => s === State.SUSPENDED, 10_000);
  const noticed = performance.now() - started;
  assert.ok(
    noticed <= readTimeout + 500,
    `noticed after ${noticed} ms (read timeout ${readTimeout})`,
  );
  proxy.pass();
  await nextState(zk, (s) => s === State.CONNECTED, 10_000);
});

Deno.test(
  "a real expiry: LOST, pending calls fail, then CONNECTED with a new session",
  async () => {
    const cluster = await ensemble.cluster();
    const chroot = uniqueChroot("expiry");
    await using admin = await connect(cluster.connectionString());
    await admin.ensurePath(chroot);
    await using zk = await connect(cluster.connectionString({ chroot }), {
      sessionTimeout: 4000,
    });
    await zk.create("/eph", null, { ephemeral: true });
    const oneShot = deferred<WatchedEvent>();
    await zk.exists("/nothing", { watch: oneShot.resolve });
    const old = zk.sessionId;
    const states: string[] = [];
    zk.addListener((s) => states.push(s));
    const back = nextState(zk, (s) => s === State.CONNECTED, 20_000);
    await expireSession(zk);
    await back;
    assert.ok(states.includes(State.LOST), `states: ${states}`);
    assert.notEqual(zk.sessionId, old);
    assert.equal(await zk.exists("/eph"), null, "the old session's ephemerals are gone");
    const event = await within(oneShot.promise, 1000, "one-shot watch told of expiry");
    assert.equal(event.type, "NONE");
    assert.equal(event.state, "EXPIRED_SESSION");
  },
);

Deno.test(
  "a client SUSPENDED longer than its session timeout declares LOST itself",
  async () => {
    const cluster = await ensemble.cluster();
    const member = cluster.members[0];
    await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
    await using zk = await connect(proxy.address, { sessionTimeout: 2000 });
    const timeout = zk.negotiatedTimeout;
    await cutOff(zk, proxy);
    const queued = zk.get("/");
    const started = performance.now();
    await nextState(zk, (s) => s === State.LOST, timeout * 3);
    const after = performance.now() - started;
    assert.ok(after >= timeout - 100, `LOST after ${after} ms, timeout ${timeout}`);
    await assert.rejects(queued, SessionExpiredError);
    proxy.accept();
    await nextState(zk, (s) => s === State.CONNECTED, 20_000);
  },
);

Deno.test(
  "retry() rides over a dropped connection; states() reports the transitions",
  async () => {
    const cluster = await ensemble.cluster();
    const member = cluster.members[1];
    await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
    await using zk = await connect(proxy.address, { sessionTimeout: 8000 });
    const stop = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const state of zk.states({ signal: stop.signal })) {
        seen.push(state);
        if (state === State.CONNECTED) stop.abort();
      }
    })();
    proxy.stall();
    let attempts = 0;
    const result = zk.retry(async () => {
      attempts++;
      return await zk.exists("/");
    }, { maxTries: 5, delay: 50 });
    await new Promise((r) => setTimeout(r, 100));
    await proxy.cut();
    proxy.pass();
    assert.ok(await within(result, 10_000, "retried call"));
    assert.ok(attempts >= 2, `${attempts} attempts`);
    await within(watching, 10_000, "states iterator");
    assert.deepEqual(seen, [State.SUSPENDED, State.CONNECTED]);
  },
);

Deno.test(
  "updateServerList moves the client off a server no longer listed, keeping its session",
  async () => {
    const cluster = await ensemble.cluster();
    const chroot = uniqueChroot("server-list");
    await using admin = await connect(cluster.connectionString());
    await admin.ensurePath(chroot);
    const [first, ...others] = cluster.members;
    await using zk = await connect(`${first.address}${chroot}`);
    await zk.create("/eph", "mine", { ephemeral: true });
    const watched = deferred<WatchedEvent>();
    await zk.get("/eph", { watch: watched.resolve });
    const session = zk.sessionId;
    assert.equal(zk.connectedAddress, first.address);

    // Same list (and the same chroot spelled out): nothing moves.
    assert.equal(zk.updateServerList(`${first.address}${chroot}`), false);
    assert.throws(() => zk.updateServerList(`${first.address}/elsewhere`), ConfigurationError);
    assert.throws(() => zk.updateServerList(""), ConfigurationError);
    assert.equal(zk.connectedAddress, first.address);

    const suspended = nextState(zk, (s) => s === State.SUSPENDED);
    const reconnected = suspended.then(() => nextState(zk, (s) => s !== State.SUSPENDED));
    assert.equal(zk.updateServerList(others.map((m) => m.address).join(",")), true);
    await suspended;
    assert.equal(await reconnected, State.CONNECTED);
    assert.ok(
      others.some((m) => m.address === zk.connectedAddress),
      `moved to a listed member (${zk.connectedAddress})`,
    );
    assert.equal(zk.sessionId, session, "same session");
    assert.equal(text((await zk.get("/eph")).data), "mine", "ephemeral kept");
    await admin.set(`${chroot}/eph`, "changed");
    assert.equal((await within(watched.promise, 5000, "data watch")).type, "CHANGED");
    assert.match(await zk.command("ruok"), /imok/, "four-letter words follow the new server");

    await zk.close();
    assert.throws(() => zk.updateServerList(first.address), ClientClosedError);
  },
);

Deno.test("a session can be resumed by id and password from another client", async () => {
  const cluster = await ensemble.cluster();
  const chroot = uniqueChroot("resume");
  await using admin = await connect(cluster.connectionString());
  await admin.ensurePath(chroot);
  const first = new ZooKeeperClient({ hosts: cluster.connectionString({ chroot }) });
  await first.start();
  await first.create("/eph", "x", { ephemeral: true });
  await using second = await connect(cluster.connectionString({ chroot }), {
    sessionId: first.sessionId,
    sessionPassword: first.sessionPassword,
  });
  assert.equal(second.sessionId, first.sessionId);
  assert.equal((await second.get("/eph")).stat.ephemeralOwner, second.sessionId);
  await second.close(); // closes the shared session
  await first.close();
});

Deno.test("a reply with an unknown xid drops the connection and the client reconnects", async () => {
  const cluster = await ensemble.cluster();
  const inner = (await import("../mod.ts")).defaultTransport();
  let corrupted = false;
  // Rewrites the xid of the first normal reply after the handshake.
  const corrupting: Transport = {
    async connect(host, port, options) {
      const conn = await inner.connect(host, port, options);
      let frames = 0;
      const readable = conn.readable.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            if (!corrupted && frames++ === 1 && chunk.length >= 8) {
              corrupted = true;
              const copy = chunk.slice();
              copy[4] ^= 0x40; // first byte of the xid
              controller.enqueue(copy);
              return;
            }
            controller.enqueue(chunk);
          },
        }),
      );
      return {
        readable,
        writable: conn.writable,
        remoteAddress: conn.remoteAddress,
        close: () => conn.close(),
      };
    },
  };
  await using zk = await connect(cluster.connectionString(), { transport: corrupting });
  const session = zk.sessionId;
  await assert.rejects(zk.exists("/"), ConnectionLossError);
  assert.ok(await zk.exists("/"), "works again after reconnecting");
  assert.equal(zk.sessionId, session);
  assert.equal(corrupted, true);
});

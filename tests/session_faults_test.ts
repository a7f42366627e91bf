/**
 * Sessions under faults injected at the exact moment that matters, through
 * FaultyTransport (frame by frame) against a real server: a drop while
 * priming, a session lost and re-made on a server with a shorter history,
 * watches aborted while others are in flight, listeners that reject or
 * close the client, a blocked event loop, and the bounds on waiting.
 */
import assert from "node:assert/strict";
import {
  AuthFailedError,
  connect,
  ConnectionLossError,
  KeeperState,
  RequestTimeoutError,
  SessionExpiredError,
  State,
  type WatchedEvent,
  ZooKeeperClient,
} from "../mod.ts";
import { OpCode } from "../lib/jute/opcodes.ts";
import {
  clusterFixture,
  FaultyTransport,
  stallEventLoop,
  ZooKeeperCluster,
} from "../lib/testing/mod.ts";
import { deferred, eventually, nextState, serverHoldsNoWatch, within } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

/** Every state `zk` reports from now on. */
function recordStates(zk: ZooKeeperClient): State[] {
  const states: State[] = [];
  zk.addListener((s) => void states.push(s));
  return states;
}

Deno.test("LOST comes one session timeout after a drop even when the next connection dies while priming", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, {
    transport: faults,
    sessionTimeout: 4000,
    auth: [{ scheme: "digest", credential: "alice:secret" }],
  });
  const timeout = zk.negotiatedTimeout;
  // The next connection gets its ConnectResponse, then is cut before the
  // auth reply; every attempt after that is refused.
  const next = faults.connections + 1;
  faults.addRule((f) => {
    if (f.connection !== next || f.direction !== "in" || f.index !== 1) return undefined;
    faults.refuse();
    return "passThenCut";
  });
  const lost = nextState(zk, (s) => s === State.LOST, timeout + 5000);
  const suspended = nextState(zk, (s) => s === State.SUSPENDED);
  const started = performance.now();
  faults.cutAll();
  await suspended;
  const queued = zk.get("/");
  await lost;
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= timeout * 0.9, `LOST after ${elapsed} ms, the timeout is ${timeout}`);
  await assert.rejects(queued, SessionExpiredError);
  assert.ok(faults.connections >= next, "the mid-priming connection was made");
  faults.accept();
  await nextState(zk, (s) => s === State.CONNECTED);
});

Deno.test("after LOST the new session is asked for from zxid 0, so a server with a shorter history grants it", async (t) => {
  await using fresh = await ZooKeeperCluster.start({ freePorts: true });
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, {
    transport: faults,
    sessionTimeout: 4000,
    chroot: false,
  });
  // A history longer than the fresh server's.
  const node = `${fixture.chroot(t)}-n`;
  await zk.create(node, "0");
  for (let i = 0; i < 20; i++) await zk.set(node, String(i));
  // The address now leads to a rebuilt server without the data.
  const member = fresh.members[0];
  faults.redirect({ host: member.host, port: member.clientPort });
  const lost = nextState(zk, (s) => s === State.LOST, zk.negotiatedTimeout + 5000);
  faults.cutAll();
  await lost;
  await nextState(zk, (s) => s === State.CONNECTED, 10_000);
  assert.equal(await zk.exists(node), null, "a server without the old data");
  await zk.create(node, "new");
});

Deno.test("aborting one of two watch-setting reads of a path leaves the other caller's watch working", async (t) => {
  await using zk = await fixture.client(t);
  await using admin = await fixture.client(t);
  await admin.create("/w", "0");
  const giveUp = new AbortController();
  const abandoned = zk.get("/w", { watch: () => {}, signal: giveUp.signal });
  const fired = deferred<WatchedEvent>();
  const kept = zk.get("/w", { watch: fired.resolve });
  giveUp.abort(new Error("gave up"));
  await assert.rejects(abandoned, /gave up/);
  await kept;
  await zk.exists("/"); // a round trip: any removal the abort caused has been applied
  await admin.set("/w", "1");
  assert.equal((await within(fired.promise, 5000, "the kept watch")).type, "CHANGED");
});

Deno.test("removing one watcher leaves the server watch another read is setting", async (t) => {
  await using zk = await fixture.client(t);
  await using admin = await fixture.client(t);
  await admin.create("/w", "0");
  const first = () => {};
  await zk.get("/w", { watch: first });
  const fired = deferred<WatchedEvent>();
  const second = zk.get("/w", { watch: fired.resolve });
  await zk.removeWatches("/w", { watcher: first, type: "data" });
  await second;
  await admin.set("/w", "1");
  assert.equal((await within(fired.promise, 5000, "the second watcher")).type, "CHANGED");
});

Deno.test("ending one of two watch() iterators on a path leaves the other one's events flowing", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, { transport: faults });
  await using admin = await fixture.client(t);
  await admin.create("/w", "0");
  const first = zk.watch("/w");
  await zk.exists("/"); // its addWatch has been answered
  const held = faults.hold((f) => f.direction === "in" && f.opCode === OpCode.addWatch);
  const second = zk.watch("/w");
  await within(held.first, 5000, "the second addWatch's reply");
  await first.return!(); // while the second's addWatch is in flight
  held.release();
  await zk.exists("/"); // the second's reply handled (replies come in order)
  await admin.set("/w", "1");
  const event = await within(second.next(), 5000, "an event on the second iterator");
  assert.equal(event.value?.type, "CHANGED");
  await second.return!();
});

Deno.test("an async state listener that rejects is logged, never an unhandled rejection", async (t) => {
  const faults = new FaultyTransport();
  const warnings: unknown[][] = [];
  await using zk = await fixture.client(t, {
    transport: faults,
    logger: { warn: (...args: unknown[]) => void warnings.push(args) },
  });
  zk.addListener(async () => {
    await Promise.resolve();
    throw new Error("listener boom");
  });
  zk.addListener(() => {
    throw new Error("sync listener boom");
  });
  const back = nextState(zk, (s) => s === State.CONNECTED);
  faults.cutAll();
  await back;
  await eventually(() => warnings.length >= 4, 2000, "the listener failures logged");
  assert.ok(warnings.some((w) => String(w.at(-1)).includes("listener boom")));
});

Deno.test("a watch event never overtakes the reply it followed on the wire", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, { transport: faults });
  await using admin = await fixture.client(t);
  await admin.create("/x", "0");
  for (let round = 0; round < 5; round++) {
    const order: string[] = [];
    const replied = deferred<void>();
    const removeRule = faults.addRule((f) => {
      if (f.kind === "reply" && f.opCode === OpCode.getData) replied.resolve();
      return undefined;
    });
    // The reply and the event it is followed by reach the client in one chunk.
    faults.coalesce(2);
    const watched = deferred<void>();
    const reader = (async () => {
      await zk.get("/x", {
        watch: () => {
          order.push("watcher");
          watched.resolve();
        },
      });
      order.push("after await");
    })();
    await replied.promise;
    await admin.set("/x", String(round));
    await within(watched.promise, 5000, "the watch");
    await reader;
    removeRule();
    assert.deepEqual(order, ["after await", "watcher"], `round ${round}`);
  }
});

Deno.test("close() from a state listener: nobody sees a state after LOST, and no timer outlives it", async (t) => {
  const faults = new FaultyTransport();
  const zk = await fixture.client(t, { transport: faults, sessionTimeout: 4000 });
  zk.addListener((s) => {
    if (s === State.SUSPENDED) void zk.close();
  });
  const seen = recordStates(zk);
  faults.refuse();
  faults.cutAll();
  await eventually(() => seen.includes(State.LOST), 5000, "LOST");
  await zk.close();
  assert.deepEqual(seen, [State.SUSPENDED, State.LOST]);
  // The test's op sanitizer fails it if the session timer is still pending.
});

Deno.test("watches are re-registered in batches that fit maxPacketSize, multi-byte paths counted in bytes", async (t) => {
  const faults = new FaultyTransport();
  await using admin = await fixture.client(t);
  await using zk = await fixture.client(t, { transport: faults, maxPacketSize: 4096 });
  const names = Array.from({ length: 120 }, (_, i) => `/节点-${i}-数据观察`);
  await admin.create("/dir");
  for (const name of names) await admin.create(`/dir${name}`);
  const events: WatchedEvent[] = [];
  for (const name of names) await zk.exists(`/dir${name}`, { watch: (e) => void events.push(e) });
  const back = nextState(zk, (s) => s === State.CONNECTED, 10_000);
  faults.cutAll();
  await back;
  await admin.set(`/dir${names[7]}`, "1");
  await eventually(() => events.length === 1, 5000, "a re-registered watch firing");
  assert.equal(events[0].path, `/dir${names[7]}`);
});

Deno.test("reconnect attempts keep coming while the session can be resumed", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, {
    transport: faults,
    sessionTimeout: 4000,
    connectionRetry: { maxJitter: 0 }, // kazoo's backoff without chance: 0.1, 0.2, 0.4 ... s
  });
  const session = zk.sessionId;
  const timeout = zk.negotiatedTimeout;
  const seen = recordStates(zk);
  const back = nextState(zk, (s) => s === State.CONNECTED, 2 * timeout);
  faults.refuse(timeout * 0.8);
  faults.cutAll();
  await back;
  assert.deepEqual(seen, [State.SUSPENDED, State.CONNECTED]);
  assert.equal(zk.sessionId, session);
});

Deno.test("an event-loop stall does not drop a healthy connection", async (t) => {
  await using zk = await fixture.client(t, { sessionTimeout: 6000 });
  await using admin = await fixture.client(t);
  await admin.create("/s", "0");
  const timeout = zk.negotiatedTimeout;
  const seen = recordStates(zk);
  const stalled = deferred<void>();
  await zk.get("/s", {
    watch: () => {
      stallEventLoop((timeout * 2) / 3);
      stalled.resolve();
    },
  });
  await admin.set("/s", "1");
  await within(stalled.promise, 5000, "the stalling watcher");
  // A request whose reply lands in the socket while the loop is blocked.
  const write = zk.set("/s", "2");
  setTimeout(() => stallEventLoop((timeout * 2) / 3), 5);
  const stat = await write;
  assert.equal(stat.version, 2);
  await zk.exists("/");
  assert.deepEqual(seen, []);
  assert.equal(zk.state, State.CONNECTED);
});

Deno.test("two event-loop stalls in a row, the server's answer waiting unread in the socket, do not drop the connection", async (t) => {
  await using zk = await fixture.client(t, { sessionTimeout: 6000 });
  const member = (await fixture.cluster()).members[0];
  const timeout = zk.negotiatedTimeout;
  const seen = recordStates(zk);
  // The first stall: the late tick that follows pings a server that cannot
  // answer yet (it is frozen), so nothing is read before the second stall.
  member.pause();
  let resumed = false;
  try {
    stallEventLoop((timeout * 2) / 3);
    const second = deferred<void>();
    setTimeout(() => {
      // The server answers while the loop is blocked again: its bytes are in
      // the socket when the timer that judges the link runs, before any read.
      member.resume();
      resumed = true;
      stallEventLoop((timeout * 2) / 3);
      second.resolve();
    }, 50);
    await within(second.promise, 20_000, "the second stall");
  } finally {
    if (!resumed) member.resume();
  }
  await zk.exists("/");
  assert.deepEqual(seen, []);
  assert.equal(zk.state, State.CONNECTED);
});

Deno.test("a dead link is still dropped while the event loop keeps stalling", async (t) => {
  await using zk = await fixture.client(t, { sessionTimeout: 6000 });
  const member = (await fixture.cluster()).members[0];
  const seen = recordStates(zk);
  const started = performance.now();
  member.pause();
  // Every tick comes late: the grace after a stall must not renew itself.
  const stalls = setInterval(() => stallEventLoop(300), 350);
  try {
    await eventually(() => seen.includes(State.SUSPENDED), 15_000, "SUSPENDED");
  } finally {
    clearInterval(stalls);
    member.resume();
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 10_000, `dropped after ${Math.round(elapsed)} ms`);
  await eventually(() => zk.state === State.CONNECTED, 15_000, "the session back");
});

Deno.test("an aborted addWatch() or watch() whose request went out leaves no persistent watch on the server", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/p", "0");
  const giveUp = new AbortController();
  const added = zk.addWatch("/p", () => {}, { signal: giveUp.signal });
  giveUp.abort(new Error("gave up"));
  await assert.rejects(added, /gave up/);
  await eventually(() => serverHoldsNoWatch(zk, "/p"), 5000, "the persistent watch removed");

  const stop = new AbortController();
  const iterator = zk.watch("/p", { recursive: true, signal: stop.signal });
  stop.abort();
  assert.equal((await iterator.next()).done, true);
  await eventually(() => serverHoldsNoWatch(zk, "/p"), 5000, "the recursive watch removed");
});

Deno.test("a rejected credential goes straight to LOST/AUTH_FAILED, with no SUSPENDED blip and no timer", async (t) => {
  const zk = await fixture.client(t);
  const seen = recordStates(zk);
  await assert.rejects(zk.addAuth("no-such-scheme", "x"), AuthFailedError);
  await eventually(() => seen.length > 0, 2000, "a state");
  assert.equal(zk.keeperState, KeeperState.AUTH_FAILED);
  await zk.close();
  assert.deepEqual(seen, [State.LOST]);
});

Deno.test("requestTimeout fails a request with no reply and keeps the connection", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, { transport: faults, requestTimeout: 500 });
  await zk.create("/r", "0");
  const held = faults.hold((f) => f.kind === "reply" && f.opCode === OpCode.getData);
  const started = performance.now();
  await assert.rejects(zk.get("/r"), RequestTimeoutError);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 450 && elapsed < 3000, `failed after ${elapsed} ms`);
  held.release();
  assert.equal(zk.state, State.CONNECTED);
  assert.ok(await zk.exists("/r"));
});

Deno.test("a request waiting for a first session fails after sessionWaitTimeout", async (t) => {
  const cluster = await fixture.cluster();
  const faults = new FaultyTransport();
  faults.refuse();
  const zk = new ZooKeeperClient({
    hosts: cluster.connectionString({ chroot: fixture.chroot(t) }),
    transport: faults,
    startTimeout: 60_000,
    sessionWaitTimeout: 500,
  });
  const starting = zk.start();
  const started = performance.now();
  await assert.rejects(zk.get("/"), ConnectionLossError);
  assert.ok(performance.now() - started < 5000);
  await zk.close();
  await assert.rejects(starting);
});

Deno.test("after LOST, with no server granting a session, a request fails after sessionWaitTimeout", async (t) => {
  const faults = new FaultyTransport();
  await using zk = await fixture.client(t, {
    transport: faults,
    sessionTimeout: 4000,
    sessionWaitTimeout: 500,
  });
  const lost = nextState(zk, (s) => s === State.LOST, 10_000);
  faults.refuse();
  faults.cutAll();
  await lost;
  const started = performance.now();
  await assert.rejects(zk.get("/"), ConnectionLossError);
  assert.ok(performance.now() - started < 5000);
});

Deno.test("sessionWaitTimeout and requestTimeout reject bad values", () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => new ZooKeeperClient({ hosts: "h:1", requestTimeout: bad }),
      /requestTimeout/,
    );
    assert.throws(
      () => new ZooKeeperClient({ hosts: "h:1", sessionWaitTimeout: bad }),
      /sessionWaitTimeout/,
    );
  }
});

Deno.test("a plain client pointed at a TLS port is told the port may expect TLS", async () => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true, tls: true });
  const error = await connect(cluster.members[0].secureAddress!, { startTimeout: 2000 })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ConnectionLossError, String(error));
  assert.match(error.message, /may expect TLS: pass the `tls` option/);
});

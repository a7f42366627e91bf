/**
 * Session faults that need an ensemble: a read-only session must not be
 * resumed as if it were global, and failover from a frozen member is quick
 * (its figures are printed, never asserted on time).
 */
import assert from "node:assert/strict";
import { connect, KeeperState, State, type WatchedEvent } from "../mod.ts";
import { FaultyTransport, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { deferred, eventually, nextState, uniqueChroot, within } from "./helpers.ts";

Deno.test("a read-only session is not resumed as a global one when a read/write server comes back", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    size: 3,
    readOnly: true,
    // A read-only server can only open local sessions.
    properties: { localSessionsEnabled: true, localSessionsUpgradingEnabled: true },
  });
  const [survivor, ...others] = cluster.members;
  const path = uniqueChroot("ro-resume");
  {
    await using admin = await connect(cluster.connectionString());
    await admin.create(path, "before");
  }
  const faults = new FaultyTransport();
  await using zk = await connect(survivor.address, {
    transport: faults,
    readOnly: true,
    sessionTimeout: 4000,
  });
  assert.equal(zk.keeperState, KeeperState.CONNECTED);
  // The read/write session is lost on the client's clock while it is cut off.
  const lost = nextState(zk, (s) => s === State.LOST, 15_000);
  faults.refuse();
  faults.cutAll();
  await lost;
  await Promise.all(others.map((m) => m.stop()));
  await eventually(async () => (await survivor.mode()) === "read-only", 30_000, "read-only");
  // A new session from the read-only server, and a watch set while read-only.
  const readOnly = nextState(zk, (s) => s === State.CONNECTED, 15_000);
  faults.accept();
  await readOnly;
  assert.equal(zk.keeperState, KeeperState.CONNECTED_RO);
  const fired = deferred<WatchedEvent>();
  await zk.get(path, { watch: fired.resolve });
  const states: State[] = [];
  zk.addListener((s) => void states.push(s));

  await Promise.all(others.map((m) => m.start({ waitUntilServing: false })));
  await cluster.waitUntilServing({ timeout: 60_000 });
  await eventually(() => zk.keeperState === KeeperState.CONNECTED, 60_000, "read-write again");
  assert.ok(!states.includes(State.LOST), `no second LOST (states: ${states.join(", ")})`);
  await zk.set(path, "after");
  assert.equal(
    (await within(fired.promise, 10_000, "the watch set while read-only")).type,
    "CHANGED",
  );
});

Deno.test("failover from a frozen member keeps the session, its ephemerals and watches, in a few seconds", async () => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true, size: 3 });
  const chroot = uniqueChroot("failover");
  await using admin = await connect(cluster.connectionString());
  await admin.ensurePath(chroot);
  await using zk = await connect(cluster.connectionString({ chroot }), { sessionTimeout: 12_000 });
  await zk.create("/eph", "mine", { ephemeral: true });
  const session = zk.sessionId;
  const figures: number[] = [];
  for (let round = 1; round <= 3; round++) {
    const fired = deferred<WatchedEvent>();
    await zk.get("/eph", { watch: fired.resolve });
    const member = cluster.members.find((m) => m.address === zk.connectedAddress);
    assert.ok(member, `connected to a member (${zk.connectedAddress})`);
    const back = nextState(zk, (s) => s !== State.SUSPENDED, 30_000);
    const frozenAt = performance.now();
    member.pause();
    try {
      assert.equal(await back, State.CONNECTED);
      figures.push(performance.now() - frozenAt);
      assert.equal(zk.sessionId, session, "the same session");
      assert.equal((await zk.exists("/eph"))?.ephemeralOwner, session, "the ephemeral kept");
      await zk.set("/eph", `round ${round}`);
      assert.equal((await within(fired.promise, 5000, "the watch")).type, "CHANGED");
    } finally {
      member.resume();
    }
    await cluster.waitUntilServing({ timeout: 30_000 });
  }
  console.log(
    `failover from a SIGSTOPped member, 12 s session, 3 members: ${
      figures.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(", ")
    } (goal: each within 4.5 s)`,
  );
});

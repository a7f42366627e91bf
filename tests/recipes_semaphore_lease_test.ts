/**
 * Semaphore, NonBlockingLease and MultiNonBlockingLease against a real
 * server: exactly N leases at once, kazoo's node layout and data, the
 * limit check, timeouts, session expiry, and lease expiry by time.
 */
import assert from "node:assert/strict";
import { ConfigurationError, LockTimeoutError, type ZooKeeperClient } from "../mod.ts";
import { Semaphore } from "../recipes/semaphore.ts";
import { LockReentryError } from "../recipes/lock.ts";
import { MultiNonBlockingLease, NonBlockingLease } from "../recipes/lease.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import { chrootedClients, eventually, uniqueChroot, within } from "./helpers.ts";
import { text } from "./bytes.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("Semaphore: a semaphore of 3 lets exactly 3 of 6 clients hold at once", async (t) => {
  await using zks = await fixture.clients(t, 6);
  let holding = 0;
  let most = 0;
  let served = 0;
  await within(
    Promise.all(zks.map(async (zk, i) => {
      const semaphore = new Semaphore(zk, "/sem", `c${i}`, 3);
      for (let round = 0; round < 3; round++) {
        const lease = await semaphore.acquire();
        holding++;
        most = Math.max(most, holding);
        assert.ok(holding <= 3, `${holding} holders`);
        await new Promise((r) => setTimeout(r, 60));
        holding--;
        served++;
        await lease.release();
      }
    })),
    30_000,
    "all rounds",
  );
  assert.equal(served, 18);
  assert.equal(most, 3, "the limit is reached, not only respected");
  assert.deepEqual(await zks[0].getChildren("/sem"), []);
  assert.equal(text((await zks[0].get("/sem")).data), "3", "kazoo stores the limit as text");
  assert.deepEqual(await zks[0].getChildren("/sem-__lock__"), []);
});

Deno.test("Semaphore: leases are kazoo's nodes; a full semaphore refuses and times out", async (t) => {
  await using clients = await fixture.clients(t, 3);
  const [a, b, c] = clients;
  const sa = new Semaphore(a, "/sem", "a", 2);
  const la = await sa.acquire();
  const lb = await new Semaphore(b, "/sem", "b", 2).acquire();
  assert.match(la.path, /^\/sem\/[0-9a-f]{32}$/);
  assert.equal((await a.exists(la.path))?.ephemeralOwner, a.sessionId);
  assert.deepEqual((await sa.leaseHolders()).sort(), ["a", "b"]);
  const sc = new Semaphore(c, "/sem", "c", 2);
  assert.equal(await sc.tryAcquire(), null);
  await assert.rejects(sc.acquire({ timeout: 300 }), LockTimeoutError);
  await assert.rejects(sa.acquire(), LockReentryError);
  assert.equal((await a.getChildren("/sem")).length, 2, "no lease left by c");
  const waiting = sc.acquire({ timeout: 5000 });
  await new Promise((r) => setTimeout(r, 100));
  await lb.release();
  const lc = await within(waiting, 5000, "c's lease");
  assert.deepEqual((await sa.leaseHolders()).sort(), ["a", "c"]);
  await Promise.all([la.release(), lc.release()]);
  assert.deepEqual(await a.getChildren("/sem"), []);
});

Deno.test("Semaphore: a semaphore with another limit than the stored one is refused", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("sem-limit");
  const [a] = await chrootedClients(cluster, chroot, 1);
  try {
    const lease = await new Semaphore(a, "/sem", "a", 2).acquire();
    await assert.rejects(new Semaphore(a, "/sem", "b", 3).acquire(), ConfigurationError);
    await lease.release();
    // Data that is not a number is somebody else's business (kazoo ignores it).
    await a.create("/other", "not a number");
    await (await new Semaphore(a, "/other", "a", 5).acquire()).release();
  } finally {
    await a.close();
  }
});

Deno.test("Semaphore: a holder whose session expires frees its lease for a waiter", async (t) => {
  const cluster = await fixture.cluster();
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const held = await new Semaphore(a, "/sem", "a", 1).acquire();
  const waiting = new Semaphore(b, "/sem", "b", 1).acquire();
  await expireSession(a, { cluster });
  assert.ok(held.signal.aborted);
  const lease = await within(waiting, 10_000, "b's lease");
  assert.deepEqual(await new Semaphore(b, "/sem", "x", 1).leaseHolders(), ["b"]);
  await held.release();
  await lease.release();
});

Deno.test("Semaphore: a waiter whose session expires starts over and still gets a lease", async (t) => {
  const cluster = await fixture.cluster();
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const held = await new Semaphore(a, "/sem", "a", 1).acquire();
  const waiting = new Semaphore(b, "/sem", "b", 1).acquire();
  await eventually(async () => (await a.getChildren("/sem-__lock__")).length === 1);
  await expireSession(b, { cluster });
  await eventually(async () => (await a.getChildren("/sem-__lock__")).length === 1);
  await held.release();
  const lease = await within(waiting, 10_000, "b's lease after expiry");
  assert.equal((await a.exists(lease.path))?.ephemeralOwner, b.sessionId);
  await lease.release();
  assert.deepEqual(await a.getChildren("/sem"), []);
});

Deno.test("Semaphore: a lease is exclusive until its end, renewable, and kazoo's JSON", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  let clock = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  const now = () => clock;
  const la = new NonBlockingLease(a, "/lease", 60_000, "host-a", { now });
  const lb = new NonBlockingLease(b, "/lease", 60_000, "host-b", { now });
  assert.equal(await la.obtain(), true);
  assert.equal(la.obtained, true);
  assert.equal(
    text((await a.get("/lease/lease_holder")).data),
    '{"version": 1, "holder": "host-a", "end": "2030-01-02T03:05:05"}',
  );
  assert.equal(await lb.obtain(), false);
  assert.equal(lb.obtained, false);
  clock += 30_000;
  assert.equal(await la.obtain(), true, "the holder renews");
  clock += 59_000;
  assert.equal(await lb.obtain(), false, "renewed until 03:06:35");
  clock += 2_000;
  assert.equal(await lb.obtain(), true, "taken over after the end");
  assert.match(text((await a.get("/lease/lease_holder")).data), /"holder": "host-b"/);
  assert.equal(await la.obtain(), false);
  assert.deepEqual(await a.getChildren("/lease"), ["lease_holder"], "no lock node left");
  // A record of a newer format is left alone (kazoo's upgrade rule).
  await a.set(
    "/lease/lease_holder",
    '{"version": 2, "holder": "x", "end": "1970-01-01T00:00:00"}',
  );
  assert.equal(await la.obtain(), false);
  // Identifiers outside ASCII are written as Python's json.dumps does.
  await a.delete("/lease/lease_holder");
  assert.equal(
    await new NonBlockingLease(a, "/lease", 1000, "hôte-é", { now }).obtain(),
    true,
  );
  assert.match(
    text((await a.get("/lease/lease_holder")).data),
    /"holder": "h\\u00f4te-\\u00e9"/,
  );
});

Deno.test("Semaphore: a lease lapses by itself after its duration", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  // kazoo writes the end in whole seconds, cut down: a 3 s lease ends
  // between 2 and 3 s after it was obtained (a 1 s one could end at once).
  const started = performance.now();
  assert.equal(await new NonBlockingLease(a, "/lease", 3000, "a").obtain(), true);
  const lb = new NonBlockingLease(b, "/lease", 3000, "b");
  assert.equal(await lb.obtain(), false);
  await eventually(() => lb.obtain(), 8000, "the lease to lapse");
  const lapsed = performance.now() - started;
  assert.ok(lapsed >= 1900, `lapsed after ${lapsed} ms, before its duration less a second`);
  assert.ok(lapsed < 5000, `lapsed after ${lapsed} ms`);
});

Deno.test("Semaphore: a multi-lease of 2 serves two holders and refuses the third", async (t) => {
  await using clients = await fixture.clients(t, 3);
  const [a, b, c] = clients;
  const lease = (zk: ZooKeeperClient, id: string) =>
    new MultiNonBlockingLease(zk, 2, "/multi", 60_000, id);
  const la = lease(a, "a");
  assert.equal(await la.obtain(), true);
  assert.equal(await lease(b, "b").obtain(), true);
  const lc = lease(c, "c");
  assert.equal(await lc.obtain(), false);
  assert.equal(lc.obtained, false);
  assert.equal(await la.obtain(), true, "a renews its own");
  assert.match(text((await a.get("/multi/0/lease_holder")).data), /"holder": "a"/);
  assert.match(text((await a.get("/multi/1/lease_holder")).data), /"holder": "b"/);
});

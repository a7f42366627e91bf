/**
 * Party, ShallowParty and SetPartitioner against a real ZooKeeper: kazoo's
 * znodes, membership through leaves, closes and expiries, and a set split
 * exactly once among members that come and go.
 */
import assert from "node:assert/strict";
import { BadArgumentsError, type ZooKeeperClient } from "../mod.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import { Party, ShallowParty } from "../recipes/party.ts";
import { PartitionState, SetPartitioner } from "../recipes/partitioner.ts";
import {
  chrootedClient,
  chrootedClients,
  closeAll,
  eventually,
  uniqueChroot,
  within,
} from "./helpers.ts";
import { text } from "./bytes.ts";

const sorted = (xs: readonly string[]) => [...xs].sort();

const fixture = clusterFixture({ freePorts: true });

Deno.test("Party: members see each other until they leave or their client closes", async (t) => {
  await using clients = await fixture.clients(t, 3);
  const [a, b, c] = clients;
  const parties = [new Party(a, "/p", "alpha"), new Party(b, "/p", "beta")];
  const third = new Party(c, "/p", "gamma");
  await Promise.all([...parties, third].map((p) => p.join()));
  await third.join(); // twice is fine
  assert.deepEqual(sorted(await parties[0].members()), ["alpha", "beta", "gamma"]);
  assert.equal(await parties[1].size(), 3);
  const seen: string[] = [];
  for await (const member of parties[0]) seen.push(member);
  assert.deepEqual(sorted(seen), ["alpha", "beta", "gamma"]);

  const names = await a.getChildren("/p");
  for (const name of names) assert.match(name, /^[0-9a-f]{32}__party__$/);
  assert.equal(text((await a.get(`/p/${parties[0].node}`)).data), "alpha");

  assert.equal(await parties[1].leave(), true);
  assert.equal(await parties[1].leave(), false, "already gone");
  assert.equal(parties[1].participating, false);
  assert.deepEqual(sorted(await parties[0].members()), ["alpha", "gamma"]);
  await c.close();
  await eventually(async () => (await parties[0].size()) === 1, 5000, "gamma gone");
  assert.deepEqual(await parties[0].members(), ["alpha"]);
});

Deno.test("Party: a shallow party keeps identifiers in the names", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("shallow-party");
  await using a = await chrootedClient(cluster, chroot);
  await using b = await chrootedClient(cluster, chroot);
  await using first = new ShallowParty(a, "/sp", "host-1:80");
  await using second = new ShallowParty(b, "/sp", "host-2");
  await first.join();
  await second.join();
  const names = await a.getChildren("/sp");
  assert.ok(names.includes(first.node));
  assert.match(first.node, /^[0-9a-f]{32}-host-1:80$/);
  assert.deepEqual(sorted(await second.members()), ["host-1:80", "host-2"]);
  assert.throws(() => new ShallowParty(a, "/sp", "a/b"), BadArgumentsError);
});

Deno.test("Party: watch reports the membership at first and after each change", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("party-watch");
  await using a = await chrootedClient(cluster, chroot);
  await using b = await chrootedClient(cluster, chroot);
  const mine = new Party(a, "/w", "a");
  await mine.join();
  const controller = new AbortController();
  const snapshots: string[][] = [];
  const watching = (async () => {
    for await (const members of mine.watch({ signal: controller.signal })) {
      snapshots.push(sorted(members));
    }
  })();
  await eventually(() => snapshots.length === 1);
  const other = new Party(b, "/w", "b");
  await other.join();
  await eventually(() => snapshots.length === 2);
  await other.leave();
  await eventually(() => snapshots.length === 3);
  controller.abort();
  await within(watching, 5000, "the watch loop ends on abort");
  assert.deepEqual(snapshots, [["a"], ["a", "b"], ["a"]]);
  await mine.leave();
});

Deno.test("Party: a member re-joins by itself after its session expires", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("party-expiry");
  await using zk = await chrootedClient(cluster, chroot, { sessionTimeout: 4000 });
  await using observer = await chrootedClient(cluster, chroot);
  const party = new Party(zk, "/e", "phoenix");
  await party.join();
  const before = zk.sessionId;
  await expireSession(zk, { cluster });
  await eventually(async () => (await observer.getChildren("/e")).length === 1, 10_000);
  assert.notEqual(zk.sessionId, before);
  const { stat } = await observer.get(`/e/${party.node}`);
  assert.equal(stat.ephemeralOwner, zk.sessionId, "owned by the new session");
  assert.equal(await party.leave(), true);
  assert.deepEqual(await observer.getChildren("/e"), []);
});

/** How many shares each driven partitioner has acquired so far. */
const acquired = new Map<object, number>();

/** Runs a partitioner's acquisitions loop until the partitioner finishes. */
function drive<T>(partitioner: SetPartitioner<T>): Promise<void> {
  acquired.set(partitioner, 0);
  return (async () => {
    for await (const { signal } of partitioner.acquisitions()) {
      acquired.set(partitioner, acquired.get(partitioner)! + 1);
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
  })();
}

/** Runs `action`, then waits until each of `partitioners` has acquired a new share. */
async function rebalance<T>(
  partitioners: SetPartitioner<T>[],
  action: () => unknown,
): Promise<void> {
  const before = partitioners.map((p) => acquired.get(p) ?? 0);
  await action();
  await eventually(
    () => partitioners.every((p, i) => acquired.get(p)! > before[i]),
    20_000,
    "every member acquiring again",
  );
}

/** Waits until every partitioner is ACQUIRED, then checks each item has exactly one owner. */
async function settled<T>(
  partitioners: SetPartitioner<T>[],
  set: readonly T[],
  zk: ZooKeeperClient,
): Promise<T[][]> {
  await eventually(
    () => partitioners.every((p) => p.state === PartitionState.ACQUIRED),
    20_000,
    "every member ACQUIRED",
  );
  const shares = partitioners.map((p) => [...p]);
  const owned = shares.flat().map(String).sort();
  assert.deepEqual(owned, set.map(String).sort(), "each item owned exactly once");
  for (const item of set) {
    const contenders = await zk.getChildren(`/part/locks/${String(item)}`);
    assert.equal(contenders.length, 1, `one lock node for ${String(item)}`);
  }
  return shares;
}

const options = { timeBoundary: 300, maxReactionTime: 200 };

Deno.test("SetPartitioner: a single member takes the whole set, kazoo's znodes", async (t) => {
  await using zk = await fixture.client(t);
  await using partitioner = new SetPartitioner(zk, "/part", ["c", "a", "b"], {
    ...options,
    identifier: "solo",
  });
  assert.equal(partitioner.state, PartitionState.ALLOCATING);
  assert.equal(await partitioner.waitForAcquire(), PartitionState.ACQUIRED);
  assert.deepEqual([...partitioner], ["a", "b", "c"]);
  assert.deepEqual(sorted(await zk.getChildren("/part")), ["locks", "party"]);
  assert.deepEqual(sorted(await zk.getChildren("/part/locks")), ["a", "b", "c"]);
  const [member] = await zk.getChildren("/part/party");
  assert.match(member, /^[0-9a-f]{32}-solo$/);
  const [contender] = await zk.getChildren("/part/locks/a");
  assert.match(contender, /^[0-9a-f]{32}__lock__\d{10}$/);
  await partitioner.finish();
  assert.equal(partitioner.state, PartitionState.FAILURE);
  assert.equal(partitioner.error, undefined);
  assert.deepEqual(await zk.getChildren("/part/party"), []);
  assert.deepEqual(await zk.getChildren("/part/locks/a"), []);
});

Deno.test("SetPartitioner: members joining and leaving split the set again, once each", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("partitioner-rebalance");
  const set = Array.from({ length: 10 }, (_, i) => `item-${i}`);
  const clients = await chrootedClients(cluster, chroot, 4);
  const partitioners: SetPartitioner<string>[] = [];
  const drivers: Promise<void>[] = [];
  const start = (i: number) => {
    const p = new SetPartitioner(clients[i], "/part", set, { ...options, identifier: `w${i}` });
    partitioners.push(p);
    drivers.push(drive(p));
    return p;
  };
  try {
    start(0);
    start(1);
    start(2);
    let shares = await settled(partitioners, set, clients[0]);
    assert.deepEqual(shares.map((s) => s.length).sort(), [3, 3, 4]);

    const old = [...partitioners];
    await rebalance(old, () => start(3));
    shares = await settled(partitioners, set, clients[0]);
    assert.deepEqual(shares.map((s) => s.length).sort(), [2, 2, 3, 3]);

    const remaining = partitioners.filter((_, i) => i !== 1);
    await rebalance(remaining, () => partitioners[1].finish());
    assert.equal(partitioners[1].state, PartitionState.FAILURE);
    shares = await settled(remaining, set, clients[0]);
    assert.deepEqual(shares.map((s) => s.length).sort(), [3, 3, 4]);
  } finally {
    await Promise.all(partitioners.map((p) => p.finish()));
    await Promise.all(drivers);
    await closeAll(clients);
  }
});

Deno.test("SetPartitioner: a member whose session expires releases, re-joins and gets a share", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("partitioner-expiry");
  const set = [1, 2, 3, 4, 5];
  const a = await chrootedClient(cluster, chroot, { sessionTimeout: 4000 });
  const b = await chrootedClient(cluster, chroot);
  const partitioners = [
    new SetPartitioner(a, "/part", set, { ...options, identifier: "a" }),
    new SetPartitioner(b, "/part", set, { ...options, identifier: "b" }),
  ];
  const drivers = partitioners.map(drive);
  try {
    let shares = await settled(partitioners, set, b);
    assert.deepEqual(shares, [[1, 3, 5], [2, 4]], "numbers sorted as numbers");
    await rebalance([partitioners[0]], () => expireSession(a, { cluster }));
    shares = await settled(partitioners, set, b);
    assert.deepEqual(shares, [[1, 3, 5], [2, 4]]);
  } finally {
    await Promise.all(partitioners.map((p) => p.finish()));
    await Promise.all(drivers);
    await a.close();
    await b.close();
  }
});

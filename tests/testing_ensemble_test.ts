/**
 * The harness's ensemble: three voting members and an observer, started once
 * for the module; the ensemble keeps serving when its leader crashes or a
 * member freezes.
 */
import assert from "node:assert/strict";
import { clusterFixture, RawSession, type ZooKeeperMember } from "../lib/testing/mod.ts";
import { processesMentioning } from "./testing_helpers.ts";

const fixture = clusterFixture({ freePorts: true, size: 3, observers: 1 });

/** Writes through `member` and reads the write back through every other serving member. */
async function assertServes(member: ZooKeeperMember, others: ZooKeeperMember[], path: string) {
  {
    await using session = await RawSession.connect(member.address);
    await session.create(path, `via ${member.id}`);
  }
  for (const other of others) {
    await using session = await RawSession.connect(other.address);
    await session.request(9, syncBody(path)); // sync, so a lagging follower catches up
    assert.equal(new TextDecoder().decode(await session.getData(path)), `via ${member.id}`);
  }
}

function syncBody(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  const body = new Uint8Array(4 + bytes.length);
  new DataView(body.buffer).setInt32(0, bytes.length);
  body.set(bytes, 4);
  return body;
}

Deno.test("an ensemble has one leader, two followers and an observer on distinct ports", async () => {
  const cluster = await fixture.cluster();
  assert.equal(cluster.quorum, true);
  assert.deepEqual(cluster.members.map((m) => [m.id, m.role]), [
    [1, "participant"],
    [2, "participant"],
    [3, "participant"],
    [4, "observer"],
  ]);
  const ports = cluster.members.flatMap((m) => [m.clientPort, m.quorumPort]);
  assert.equal(new Set(ports).size, 8, `ports ${ports} are distinct`);
  const modes = await Promise.all(cluster.members.map((m) => m.mode()));
  assert.deepEqual(modes.slice(0, 3).sort(), ["follower", "follower", "leader"]);
  assert.equal(modes[3], "observer");
  assert.equal(
    cluster.connectionString({ chroot: "/x" }),
    cluster.members.map((m) => `127.0.0.1:${m.clientPort}`).join(",") + "/x",
  );
  assert.equal((await cluster.leader())?.role, "participant");
});

Deno.test("the ensemble serves after its leader is killed, and takes it back", async () => {
  const cluster = await fixture.cluster();
  const leader = (await cluster.leader())!;
  await leader.kill();
  assert.equal(leader.running, false);
  assert.deepEqual(processesMentioning(leader.dir), []);
  await cluster.waitUntilServing({ timeout: 30_000 });
  const next = (await cluster.leader())!;
  assert.notEqual(next, leader);
  const rest = cluster.members.filter((m) => m !== leader && m !== next);
  await assertServes(next, rest, "/after-leader-crash");

  await leader.start();
  assert.notEqual(await leader.mode(), "leader");
  await assertServes(leader, [next], "/after-old-leader-returned");
});

Deno.test("the ensemble serves while its leader is paused, and the paused member rejoins", async () => {
  const cluster = await fixture.cluster();
  const frozen = (await cluster.leader())!;
  frozen.pause();
  try {
    assert.equal(frozen.paused, true);
    assert.equal(await frozen.mode(), null);
    await cluster.waitUntilServing({ timeout: 30_000 });
    const next = (await cluster.leader())!;
    assert.notEqual(next, frozen);
    const rest = cluster.members.filter((m) => m !== frozen && m !== next);
    await assertServes(next, rest, "/while-paused");
  } finally {
    frozen.resume();
  }
  await cluster.waitUntilServing({ timeout: 30_000 });
  await assertServes(frozen, cluster.members.filter((m) => m !== frozen), "/after-resume");
});

Deno.test("stopping the cluster leaves no Java process behind", async () => {
  const cluster = await fixture.cluster();
  assert.equal(processesMentioning(cluster.dir).length, 4);
  await fixture.stop();
  assert.deepEqual(processesMentioning(cluster.dir), []);
});

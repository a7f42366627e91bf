/**
 * clusterFixture: one cluster per module, one chroot per test.
 */
import assert from "node:assert/strict";
import { clusterFixture, type ZooKeeperCluster } from "../lib/testing/mod.ts";

const fixture = clusterFixture({ freePorts: true });
const seen: { cluster?: ZooKeeperCluster; chroots: string[] } = { chroots: [] };

Deno.test("the first test starts the module's cluster", async () => {
  const cluster = await fixture.cluster();
  assert.equal(await fixture.cluster(), cluster, "the same cluster on every call");
  assert.equal(cluster.connectionString(), cluster.members[0].address);
  seen.cluster = cluster;
});

Deno.test("a test gets a client inside its own chroot", async (t) => {
  assert.equal(await fixture.cluster(), seen.cluster, "later tests share the cluster");
  const chroot = fixture.chroot(t);
  assert.equal(fixture.chroot(t), chroot, "stable for one test");
  assert.match(chroot, /^\/zk-test-a-test-gets-a-client-inside-its-own-chro-\w+-\w+$/);
  await using zk = await fixture.client(t);
  assert.equal(await zk.create("/mine", "x"), "/mine");
  seen.chroots.push(chroot);
});

Deno.test("another test cannot see the first test's nodes", async (t) => {
  const chroot = fixture.chroot(t);
  assert.ok(!seen.chroots.includes(chroot));
  await using zk = await fixture.client(t);
  assert.equal(await zk.exists("/mine"), null);
  await using root = await fixture.client(t, { chroot: false });
  assert.notEqual(await root.exists(`${seen.chroots[0]}/mine`), null);
  assert.notEqual(await root.exists(chroot), null, "the chroot was created");
});

Deno.test("stop stops the cluster; the fixture refuses to start another", async () => {
  const cluster = await fixture.cluster();
  await fixture.stop();
  assert.equal(cluster.members[0].running, false);
  await assert.rejects(fixture.cluster(), /stopped/);
});

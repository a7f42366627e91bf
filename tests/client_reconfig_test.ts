/**
 * Ensemble configuration: `getConfig()` reads `/zookeeper/config` (never
 * under the chroot) and `reconfig()` removes and re-adds a member.
 */
import assert from "node:assert/strict";
import { connect, NoAuthError } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";

const fixture = clusterFixture({
  freePorts: true,
  size: 3,
  reconfig: true,
  superDigest: "super:admin-pw",
});

Deno.test("getConfig lists every member, also under a chroot", async (t) => {
  await using zk = await fixture.client(t);
  const { config } = await zk.getConfig();
  const servers = config.split("\n").filter((l) => l.startsWith("server."));
  assert.equal(servers.length, 3, config);
});

Deno.test("reconfig needs rights, then removes and re-adds a member", async () => {
  const cluster = await fixture.cluster();
  // Remove a follower while talking to the leader: a leaving leader (or
  // a leaving server we are connected to) drops its clients.
  const leader = await cluster.leader();
  assert.ok(leader);
  const leaving = cluster.members.find((m) => m !== leader)!;
  await using zk = await connect(cluster.connectionString({ members: [leader] }));
  await assert.rejects(zk.reconfig({ leaving: String(leaving.id) }), NoAuthError);
  await zk.addAuth("digest", "super:admin-pw");
  const before = (await zk.getConfig()).config;
  const line = before.split("\n").find((l) => l.startsWith(`server.${leaving.id}=`));
  assert.ok(line, before);
  const removed = await zk.reconfig({ leaving: String(leaving.id) });
  assert.ok(!removed.config.includes(`server.${leaving.id}=`), removed.config);
  const added = await zk.reconfig({ joining: line });
  assert.ok(added.config.includes(`server.${leaving.id}=`), added.config);
  const watched = await zk.getConfig({ watch: () => {} });
  assert.ok(watched.stat.mzxid > 0n);
});

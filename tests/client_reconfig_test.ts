/**
 * Ensemble configuration: `getConfig()` reads `/zookeeper/config` (never
 * under the chroot) and `reconfig()` removes and re-adds a member.
 */
import assert from "node:assert/strict";
import { connect, NoAuthError } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

Deno.test({
  name: "dynamic reconfiguration",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn(t) {
    await using cluster = await ZooKeeperCluster.start({
      size: 3,
      reconfig: true,
      superDigest: "super:admin-pw",
      portOffset: 23600,
    });

    await t.step("getConfig lists every member, also under a chroot", async () => {
      await using admin = await connect(cluster.connectionString());
      await admin.ensurePath("/app");
      await using zk = await connect(cluster.connectionString({ chroot: "/app" }));
      const { config } = await zk.getConfig();
      const servers = config.split("\n").filter((l) => l.startsWith("server."));
      assert.equal(servers.length, 3, config);
    });

    await t.step("reconfig needs rights, then removes and re-adds a member", async () => {
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
  },
});

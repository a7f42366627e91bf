/**
 * `zk config` and `zk reconfig` on a three-member ensemble with dynamic
 * reconfiguration and a super user.
 */
import assert from "node:assert/strict";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { zk } from "./cli_helpers.ts";

Deno.test("config lists the members; reconfig needs rights, then removes and re-adds one", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    size: 3,
    reconfig: true,
    superDigest: "super:admin-pw",
  });
  // Talk to the leader: a leaving member drops its own clients.
  const leader = await cluster.leader();
  assert.ok(leader);
  const leaving = cluster.members.find((m) => m !== leader)!;
  const hosts = cluster.connectionString({ members: [leader] });
  const config = JSON.parse((await zk(["--server", hosts, "config", "--json"])).stdout);
  assert.equal(config.members.filter((m: string) => m.startsWith("server.")).length, 3);
  const line = config.members.find((m: string) => m.startsWith(`server.${leaving.id}=`));
  assert.ok(line, JSON.stringify(config));

  const denied = await zk(["--server", hosts, "reconfig", "--remove", String(leaving.id)]);
  assert.deepEqual([denied.code, denied.stderr], [1, "NoAuth: /zookeeper/config\n"]);
  const su = ["--server", hosts, "--auth", "digest:super:admin-pw"];
  const removed = await zk([...su, "reconfig", "--remove", String(leaving.id)]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.doesNotMatch(removed.stdout, new RegExp(`^server\\.${leaving.id}=`, "m"));
  const added = await zk([...su, "reconfig", "--json", "--add", line]);
  assert.equal(added.code, 0, added.stderr);
  assert.ok(JSON.parse(added.stdout).members.includes(line), added.stdout);

  const neither = await zk([...su, "reconfig"]);
  assert.equal(neither.code, 2);
  const both = await zk([...su, "reconfig", "--members", line, "--remove", "1"]);
  assert.equal(both.code, 2);
});

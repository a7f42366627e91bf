/**
 * `zk dump`, `load`, `cp` (also into a second cluster) and `mv` against
 * real servers: data (binary too), ACLs and ephemeral nodes.
 */
import assert from "node:assert/strict";
import { clusterFixture, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { chrootedHosts, zk, ZkProcess } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true });

async function seed(hosts: string): Promise<void> {
  for (
    const args of [
      ["create", "-p", "/app/config", "color=blue"],
      ["create", "-p", "/app/db/url", "postgres://db"],
      ["create", "/app/empty"],
    ]
  ) {
    assert.equal((await zk(args, { hosts })).code, 0);
  }
  const binary = new Uint8Array([0, 0xff, 0x80, 1]);
  assert.equal((await zk(["create", "-f", "-", "/app/bin"], { hosts, stdin: binary })).code, 0);
  assert.equal(
    (await zk(["acl", "set", "/app/db", "world:anyone:cdrwa", "ip:10.1.2.3:r"], { hosts })).code,
    0,
  );
}

Deno.test("dump then load recreates a subtree elsewhere: same data, ACLs and layout", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await seed(hosts);
  const dumped = await zk(["dump", "/app"], { hosts });
  assert.equal(dumped.code, 0, dumped.stderr);
  const dump = JSON.parse(dumped.stdout);
  assert.equal(dump.format, "zk-dump/1");
  assert.deepEqual(dump.nodes.map((n: { path: string }) => n.path), [
    "/",
    "/bin",
    "/config",
    "/db",
    "/db/url",
    "/empty",
  ]);
  const bin = dump.nodes.find((n: { path: string }) => n.path === "/bin");
  assert.deepEqual([bin.encoding, bin.data], ["base64", btoa("\x00\xff\x80\x01")]);
  const db = dump.nodes.find((n: { path: string }) => n.path === "/db");
  assert.deepEqual(db.acl, [
    { scheme: "world", id: "anyone", perms: "cdrwa" },
    { scheme: "ip", id: "10.1.2.3", perms: "r" },
  ]);

  const loaded = await zk(["load", "-", "/restored"], { hosts, stdin: dumped.stdout });
  assert.equal(loaded.code, 0, loaded.stderr);
  const again = JSON.parse((await zk(["dump", "/restored"], { hosts })).stdout);
  assert.deepEqual(again.nodes, dump.nodes);
  assert.deepEqual(
    (await zk(["get", "/restored/bin"], { hosts })).bytes,
    new Uint8Array([0, 0xff, 0x80, 1]),
  );

  // Loading onto what exists fails, unless --overwrite.
  await zk(["set", "/restored/config", "changed"], { hosts });
  const clash = await zk(["load", "-", "/restored"], { hosts, stdin: dumped.stdout });
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^NodeExists: \/restored/);
  const overwrite = await zk(["load", "--overwrite", "-", "/restored"], {
    hosts,
    stdin: dumped.stdout,
  });
  assert.equal(overwrite.code, 0, overwrite.stderr);
  assert.equal((await zk(["get", "/restored/config"], { hosts })).stdout, "color=blue");
});

Deno.test("load refuses what is not a dump, with exit 2", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const garbage = await zk(["load", "-", "/x"], { hosts, stdin: "not json" });
  assert.equal(garbage.code, 2);
  assert.match(garbage.stderr, /^usage: load: - is not JSON/);
  const other = await zk(["load", "-", "/x"], { hosts, stdin: '{"nodes": []}' });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /is not a zk-dump\/1 dump/);
});

Deno.test("dump records ephemeral nodes; load and cp leave them out", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "/app"], { hosts });
  await using holder = new ZkProcess(
    ["lock", "/app/lock", "--", "sh", "-c", "echo ready; exec sleep 30"],
    { hosts },
  );
  await holder.waitFor((line) => line === "ready");
  const dump = JSON.parse((await zk(["dump", "/app"], { hosts })).stdout);
  const ephemeral = dump.nodes.filter((n: { type: string }) => n.type === "ephemeral");
  assert.equal(ephemeral.length, 1);
  const loaded = await zk(["load", "-", "/copy"], { hosts, stdin: JSON.stringify(dump) });
  assert.equal(loaded.code, 0);
  assert.equal(loaded.stderr, "load: left out 1 ephemeral node(s)\n");
  assert.equal((await zk(["ls", "-R", "/copy"], { hosts })).stdout, "/copy/lock\n");
});

Deno.test("cp copies a subtree within a cluster and into another cluster", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await seed(hosts);
  assert.equal((await zk(["cp", "/app", "/app2"], { hosts })).code, 0);
  const a = JSON.parse((await zk(["dump", "/app"], { hosts })).stdout).nodes;
  const b = JSON.parse((await zk(["dump", "/app2"], { hosts })).stdout).nodes;
  assert.deepEqual(b, a);

  await using other = await ZooKeeperCluster.start({ freePorts: true });
  const otherHosts = other.connectionString();
  const copied = await zk(["cp", "--to", otherHosts, "/app", "/imported/app"], { hosts });
  assert.equal(copied.code, 0, copied.stderr);
  const c = JSON.parse((await zk(["dump", "/imported/app"], { hosts: otherHosts })).stdout).nodes;
  assert.deepEqual(c, a);
});

Deno.test("mv moves a subtree in one transaction", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await seed(hosts);
  const before = JSON.parse((await zk(["dump", "/app"], { hosts })).stdout).nodes;
  const moved = await zk(["mv", "/app", "/live"], { hosts });
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal((await zk(["stat", "/app"], { hosts })).code, 1);
  assert.deepEqual(JSON.parse((await zk(["dump", "/live"], { hosts })).stdout).nodes, before);
  // Into itself: refused before anything is sent.
  assert.equal((await zk(["mv", "/live", "/live/inner"], { hosts })).code, 2);
  // Onto an existing node: the whole transaction fails, nothing moves.
  await zk(["create", "/taken"], { hosts });
  const clash = await zk(["mv", "/live", "/taken"], { hosts });
  assert.equal(clash.code, 1);
  assert.deepEqual(JSON.parse((await zk(["dump", "/live"], { hosts })).stdout).nodes, before);
});

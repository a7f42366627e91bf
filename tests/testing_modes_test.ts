/**
 * Server options: SASL logins (and SASL required), a super user, TTL nodes,
 * dynamic reconfiguration and read-only mode are really switched on.
 */
import assert from "node:assert/strict";
import { connect, makeDigestAcl, NoAuthError, Perms } from "../mod.ts";
import {
  NotReadOnlyError,
  SessionClosedRequireSaslAuthError,
  UnimplementedError,
} from "../lib/errors.ts";
import { RawSession, ZooKeeperCluster } from "../lib/testing/mod.ts";

Deno.test("a SASL-required member refuses requests from sessions that did not log in, and accepts a DIGEST-MD5 user", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    sasl: { users: { alice: "alice-secret" }, required: true },
  });
  const [member] = cluster.members;
  assert.equal(await member.mode(), "standalone");
  {
    await using session = await RawSession.connect(member.address);
    await assert.rejects(session.create("/anonymous", "x"), SessionClosedRequireSaslAuthError);
  }
  await using zk = await connect(cluster.connectionString(), {
    sasl: { mechanism: "DIGEST-MD5", username: "alice", password: "alice-secret" },
  });
  assert.equal(await zk.create("/by-alice", "x"), "/by-alice");
});

Deno.test("superDigest makes a super user who passes every ACL", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    superDigest: "super:super-secret",
  });
  const hosts = cluster.connectionString();
  {
    await using owner = await connect(hosts, { auth: [{ scheme: "digest", credential: "bob:b" }] });
    await owner.create("/bobs", "private", { acl: [makeDigestAcl("bob", "b", Perms.ALL)] });
  }
  await using stranger = await connect(hosts);
  await assert.rejects(stranger.get("/bobs"), NoAuthError);
  await using admin = await connect(hosts, {
    auth: [{ scheme: "digest", credential: "super:super-secret" }],
  });
  assert.equal(new TextDecoder().decode((await admin.get("/bobs")).data), "private");
});

Deno.test("extendedTypes enables TTL nodes; reconfig runs a one-member quorum with a dynamic config", async () => {
  await using plain = await ZooKeeperCluster.start({ freePorts: true });
  {
    await using session = await RawSession.connect(plain.members[0].address);
    await assert.rejects(session.create("/ttl", "x", { ttl: 60_000 }), UnimplementedError);
    assert.equal(await session.create("/container", "x", { container: true }), "/container");
  }
  await plain.stop();

  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    extendedTypes: true,
    reconfig: true,
  });
  const [member] = cluster.members;
  assert.equal(cluster.quorum, true);
  assert.equal(await member.mode(), "leader");
  await using session = await RawSession.connect(member.address);
  assert.equal(await session.create("/ttl", "x", { ttl: 60_000 }), "/ttl");
  const config = new TextDecoder().decode(await session.getData("/zookeeper/config"));
  const { clientPort, quorumPort, electionPort } = member;
  assert.ok(
    config.split("\n").includes(
      `server.1=127.0.0.1:${quorumPort}:${electionPort}:participant;127.0.0.1:${clientPort}`,
    ),
    config,
  );
});

Deno.test("with readOnly, a member cut off from its quorum serves reads in read-only mode", async () => {
  await using cluster = await ZooKeeperCluster.start({
    size: 3,
    freePorts: true,
    readOnly: true,
  });
  const [survivor, ...others] = cluster.members;
  {
    await using session = await RawSession.connect(survivor.address);
    await session.create("/before", "x");
  }
  await Promise.all(others.map((m) => m.stop()));
  const end = Date.now() + 20_000;
  while ((await survivor.mode()) !== "read-only") {
    assert.ok(Date.now() < end, "the survivor never went read-only");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  {
    await using session = await RawSession.connect(survivor.address, { readOnly: true });
    assert.equal(session.readOnly, true);
    assert.equal(await session.exists("/before"), true);
    await assert.rejects(session.create("/during", "x"), NotReadOnlyError);
  }
  await Promise.all(others.map((m) => m.start({ waitUntilServing: false })));
  await cluster.waitUntilServing();
  assert.notEqual(await survivor.mode(), "read-only");
});

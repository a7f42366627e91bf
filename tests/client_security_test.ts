/**
 * Security and server modes against real servers: digest auth and ACLs,
 * auth replay, SASL DIGEST-MD5, TLS (trusted, untrusted, wrong name, client
 * certificates) and read-only mode.
 */
import assert from "node:assert/strict";
import {
  AuthFailedError,
  connect,
  CREATOR_ALL_ACL,
  KeeperState,
  makeDigestAcl,
  NoAuthError,
  NotReadOnlyError,
  Perms,
  State,
} from "../mod.ts";
import {
  type ClusterFixture,
  clusterFixture,
  type ClusterTls,
  FaultyTransport,
  ZooKeeperCluster,
} from "../lib/testing/mod.ts";
import { eventually, nextState, uniqueChroot } from "./helpers.ts";
import { text } from "./bytes.ts";
import { OpCode } from "../lib/jute/opcodes.ts";

const plain = clusterFixture({ freePorts: true });

Deno.test("a digest ACL node is readable with the credential and not without", async () => {
  const cluster = await plain.cluster();
  const path = uniqueChroot("digest");
  await using owner = await connect(cluster.connectionString());
  await owner.create(path, "secret", { acl: [makeDigestAcl("alice", "pw", Perms.ALL)] });
  await using stranger = await connect(cluster.connectionString());
  await assert.rejects(stranger.get(path), NoAuthError);
  await using wrong = await connect(cluster.connectionString(), {
    auth: [{ scheme: "digest", credential: "alice:wrong" }],
  });
  await assert.rejects(wrong.get(path), NoAuthError);
  await using alice = await connect(cluster.connectionString(), {
    auth: [{ scheme: "digest", credential: "alice:pw" }],
  });
  assert.equal(text((await alice.get(path)).data), "secret");
  assert.deepEqual(
    (await alice.whoAmI()).filter((i) => i.authScheme === "digest"),
    [{ authScheme: "digest", user: "alice" }],
  );
});

Deno.test("credentials are replayed on every new connection of the session", async () => {
  const cluster = await plain.cluster();
  const path = uniqueChroot("replay");
  const faults = new FaultyTransport();
  let credentialsSent = 0;
  faults.addRule((f) => {
    if (f.direction === "out" && f.opCode === OpCode.auth) credentialsSent++;
    return undefined;
  });
  await using zk = await connect(cluster.connectionString(), { transport: faults });
  await zk.addAuth("digest", "bob:pw");
  await zk.create(path, "mine", { acl: CREATOR_ALL_ACL });
  const session = zk.sessionId;
  for (let round = 0; round < 2; round++) {
    // ZooKeeper keeps credentials per connection: a new one knows none until they are sent again.
    const back = nextState(zk, (s) => s === State.CONNECTED);
    faults.cutAll();
    await back;
    assert.equal(zk.sessionId, session, "the session is resumed");
    assert.equal(text((await zk.get(path)).data), "mine", `readable after reconnect ${round + 1}`);
  }
  assert.equal(credentialsSent, 3, "the credential went out on each of the three connections");
});

Deno.test("a rejected credential is final: AUTH_FAILED, no reconnect loop", async () => {
  const cluster = await plain.cluster();
  // The digest provider accepts any credential; a scheme without a provider fails.
  const error = await connect(cluster.connectionString(), {
    auth: [{ scheme: "no-such-scheme", credential: "x" }],
    startTimeout: 5000,
  }).catch((e) => e);
  assert.ok(error instanceof AuthFailedError, String(error));

  await using zk = await connect(cluster.connectionString());
  await assert.rejects(zk.addAuth("no-such-scheme", "x"), AuthFailedError);
  assert.equal(zk.keeperState, KeeperState.AUTH_FAILED);
  assert.equal(zk.state, State.LOST);
  await assert.rejects(zk.exists("/"), AuthFailedError);
});

const sasl = clusterFixture({ freePorts: true, sasl: { users: { carol: "s3cret" } } });

Deno.test("the right password authenticates and shows in whoAmI", async () => {
  const cluster = await sasl.cluster();
  await using zk = await connect(cluster.connectionString(), {
    sasl: { mechanism: "DIGEST-MD5", username: "carol", password: "s3cret" },
  });
  const ids = await zk.whoAmI();
  assert.ok(
    ids.some((i) => i.authScheme === "sasl" && i.user === "carol"),
    JSON.stringify(ids),
  );
  const path = uniqueChroot("sasl");
  await zk.create(path, "x", {
    acl: [{ perms: Perms.ALL, id: { scheme: "sasl", id: "carol" } }],
  });
  assert.equal(text((await zk.get(path)).data), "x");
});

Deno.test("a wrong password fails with AuthFailedError and does not retry", async () => {
  const cluster = await sasl.cluster();
  let attempts = 0;
  const error = await connect(cluster.connectionString(), {
    sasl: { mechanism: "DIGEST-MD5", username: "carol", password: "nope" },
    startTimeout: 5000,
    logger: { debug: () => void attempts++ },
  }).catch((e) => e);
  assert.ok(error instanceof AuthFailedError, String(error));
  assert.ok(attempts <= 1, `${attempts} failed attempts logged`);
});

const tlsServer = clusterFixture({ freePorts: true, tls: true });

/** The TLS material and the TLS connection string of `fixture`'s cluster. */
async function tlsCluster(fixture: ClusterFixture): Promise<{ tls: ClusterTls; hosts: string }> {
  const cluster = await fixture.cluster();
  return { tls: cluster.tls!, hosts: cluster.connectionString({ tls: true }) };
}

Deno.test("a server signed by a trusted CA is accepted", async () => {
  const { tls, hosts } = await tlsCluster(tlsServer);
  await using zk = await connect(hosts, { tls: { caCerts: [tls.caCert] } });
  await zk.create(uniqueChroot("tls"), "over tls");
  assert.match(await zk.command("ruok"), /imok/, "four-letter words go over TLS too");
});

Deno.test("a server signed by an unknown CA is refused with a clear error", async () => {
  const { tls, hosts } = await tlsCluster(tlsServer);
  const error = await connect(hosts, {
    tls: { caCerts: [tls.untrustedCaCert] },
    startTimeout: 3000,
  }).catch((e) => e);
  assert.ok(error instanceof Error);
  assert.match(String(error.message), /TLS|certificate|issuer/i);
});

Deno.test("a certificate for another host name is refused", async () => {
  const { tls, hosts } = await tlsCluster(tlsServer);
  const error = await connect(hosts, {
    tls: { caCerts: [tls.caCert], hostname: "not-this-server.example" },
    startTimeout: 3000,
  }).catch((e) => e);
  assert.ok(error instanceof Error);
  assert.match(String(error.message), /TLS|certificate|name/i);
});

const tlsClientAuth = clusterFixture({ freePorts: true, tls: { clientAuth: "need" } });

Deno.test("a client certificate signed by the CA gets in, as an x509 identity", async () => {
  const { tls, hosts } = await tlsCluster(tlsClientAuth);
  await using zk = await connect(hosts, {
    tls: { caCerts: [tls.caCert], cert: tls.clientCert, key: tls.clientKey },
  });
  const ids = await zk.whoAmI();
  assert.ok(ids.some((i) => i.authScheme === "x509"), JSON.stringify(ids));
});

Deno.test("without a client certificate the server refuses", async () => {
  const { tls, hosts } = await tlsCluster(tlsClientAuth);
  const error = await connect(hosts, {
    tls: { caCerts: [tls.caCert] },
    startTimeout: 3000,
  }).catch((e) => e);
  assert.ok(error instanceof Error);
});

Deno.test(
  "without quorum: CONNECTED_RO, reads work, writes refused; then back to read-write",
  async () => {
    await using cluster = await ZooKeeperCluster.start({
      freePorts: true,
      size: 3,
      readOnly: true,
      // A read-only server can only open local sessions.
      properties: { localSessionsEnabled: true, localSessionsUpgradingEnabled: true },
    });
    const path = uniqueChroot("ro");
    {
      await using setup = await connect(cluster.connectionString());
      await setup.create(path, "before");
    }
    const [survivor, ...others] = cluster.members;
    await Promise.all(others.map((m) => m.stop()));
    await eventually(
      async () => (await survivor.mode()) === "read-only",
      30_000,
      "read-only mode",
    );

    await using zk = await connect(cluster.connectionString(), {
      readOnly: true,
      sessionTimeout: 6000,
    });
    assert.equal(zk.keeperState, KeeperState.CONNECTED_RO);
    assert.equal(zk.readOnly, true);
    assert.equal(zk.state, State.CONNECTED);
    assert.equal(text((await zk.get(path)).data), "before");
    await assert.rejects(zk.set(path, "during"), NotReadOnlyError);

    await Promise.all(others.map((m) => m.start({ waitUntilServing: false })));
    await cluster.waitUntilServing({ timeout: 60_000 });
    await eventually(
      () => zk.keeperState === KeeperState.CONNECTED,
      60_000,
      "read-write again",
    );
    assert.equal(zk.readOnly, false);
    await zk.set(path, "after");
    assert.equal(text((await zk.get(path)).data), "after");
  },
);

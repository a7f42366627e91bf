/**
 * `zk`'s connection options against servers that need them: TLS with a
 * client certificate (`--tls-ca`, `--tls-cert`, `--tls-key`) and SASL
 * DIGEST-MD5 (`--sasl`).
 */
import assert from "node:assert/strict";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { zk } from "./cli_helpers.ts";

Deno.test("--tls-ca/--tls-cert/--tls-key connect to a TLS port that needs a client certificate", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    tls: { clientAuth: "need" },
  });
  const tls = cluster.tls!;
  const dir = await Deno.makeTempDir({ prefix: "zk-cli-tls-" });
  try {
    const files = { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
    await Deno.writeTextFile(files.ca, tls.caCert);
    await Deno.writeTextFile(files.cert, tls.clientCert);
    await Deno.writeTextFile(files.key, tls.clientKey);
    const hosts = cluster.connectionString({ tls: true });
    const options = ["--tls-ca", files.ca, "--tls-cert", files.cert, "--tls-key", files.key];
    const created = await zk(["--server", hosts, ...options, "create", "/secure", "yes"]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await zk(["--server", hosts, ...options, "get", "/secure"])).stdout, "yes");
    const identity = await zk(["--server", hosts, ...options, "whoami"]);
    assert.match(identity.stdout, /^x509: /m);
    // Without the client certificate the server refuses the session.
    const refused = await zk([
      "--server",
      hosts,
      "--tls-ca",
      files.ca,
      "--timeout",
      "2000",
      "ls",
      "/",
    ]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.split("\n").length, 2, refused.stderr);
    const missingKey = await zk(["--server", hosts, "--tls-cert", files.cert, "ls", "/"]);
    assert.deepEqual([missingKey.code, missingKey.stderr], [
      2,
      "usage: --tls-cert and --tls-key go together\n",
    ]);
    const unreadable = await zk(["--server", hosts, "--tls-ca", `${dir}/nope.pem`, "ls", "/"]);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /^usage: --tls-ca: cannot read /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--sasl logs in with DIGEST-MD5", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    sasl: { users: { alice: "wonderland" } },
  });
  const hosts = cluster.connectionString();
  const result = await zk(["--server", hosts, "--sasl", "alice:wonderland", "whoami"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^sasl: alice$/m);
  const bad = await zk(["--server", hosts, "--sasl", "alice", "whoami"]);
  assert.deepEqual([bad.code, bad.stderr], [
    2,
    'usage: --sasl takes USER:PASSWORD, not "alice"\n',
  ]);
});

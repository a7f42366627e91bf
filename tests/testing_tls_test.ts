/**
 * TLS members: the secure port accepts clients that trust the harness's CA
 * (and present its client certificate when required), and refuses the rest.
 */
import assert from "node:assert/strict";
import { clusterFixture, fourLetterWord, ZooKeeperCluster } from "../lib/testing/mod.ts";

const fixture = clusterFixture({ freePorts: true, tls: { clientAuth: "need" } });

/** Completes a TLS handshake with the member's secure port and sends `ruok`. */
async function ruokOverTls(
  port: number,
  options: Partial<Deno.ConnectTlsOptions & Deno.TlsCertifiedKeyPem>,
) {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, ...options });
  try {
    await conn.handshake();
    await conn.write(new TextEncoder().encode("ruok"));
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    return n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    conn.close();
  }
}

Deno.test("the TLS port serves a client that trusts the CA and shows the client certificate", async () => {
  const cluster = await fixture.cluster();
  const [member] = cluster.members;
  const tls = cluster.tls!;
  assert.ok(member.securePort && member.securePort !== member.clientPort);
  assert.equal(cluster.connectionString({ tls: true }), `127.0.0.1:${member.securePort}`);
  assert.match(tls.caCert, /^-----BEGIN CERTIFICATE-----/);
  assert.match(tls.clientKey, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(
    await ruokOverTls(member.securePort!, {
      caCerts: [tls.caCert],
      cert: tls.clientCert,
      key: tls.clientKey,
    }),
    "imok",
  );
  assert.equal(
    await fourLetterWord(member.host, member.securePort!, "ruok", {
      tls: { caCerts: [tls.caCert], cert: tls.clientCert, key: tls.clientKey },
    }),
    "imok",
  );
  assert.equal(await member.fourLetterWord("ruok"), "imok", "the plain port stays open");
});

Deno.test("a client that trusts only another CA refuses the server", async () => {
  const cluster = await fixture.cluster();
  const tls = cluster.tls!;
  await assert.rejects(
    ruokOverTls(cluster.members[0].securePort!, {
      caCerts: [tls.untrustedCaCert],
      cert: tls.clientCert,
      key: tls.clientKey,
    }),
    /UnknownIssuer|certificate/i,
  );
});

Deno.test("with clientAuth need, the server refuses clients without a certificate or with a foreign one", async () => {
  const cluster = await fixture.cluster();
  const tls = cluster.tls!;
  const port = cluster.members[0].securePort!;
  await assert.rejects(ruokOverTls(port, { caCerts: [tls.caCert] }));
  await assert.rejects(
    ruokOverTls(port, {
      caCerts: [tls.caCert],
      cert: tls.untrustedClientCert,
      key: tls.untrustedClientKey,
    }),
  );
});

Deno.test("a server certificate made for other host names fails host name checks", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    tls: { hostnames: ["zk.invalid"] },
  });
  const tls = cluster.tls!;
  const port = cluster.members[0].securePort!;
  assert.deepEqual(tls.hostnames, ["zk.invalid"]);
  await assert.rejects(ruokOverTls(port, { caCerts: [tls.caCert] }), /NotValidForName|name/i);
  // Checked against the name in the certificate it passes; clientAuth defaults
  // to "none", so no client certificate is needed.
  assert.equal(
    await fourLetterWord("127.0.0.1", port, "ruok", {
      tls: { caCerts: [tls.caCert], hostname: "zk.invalid" },
    }),
    "imok",
  );
});

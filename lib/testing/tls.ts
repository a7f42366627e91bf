/**
 * TLS material for test servers, made with the JDK's `keytool` (so nothing
 * beyond the Java runtime ZooKeeper needs anyway): a CA, a server certificate
 * signed by it, a client certificate signed by it, and a second, untrusted CA
 * with a client certificate of its own. The client keys are made here with
 * node:crypto and signed through a hand-built PKCS#10 request, because
 * keytool cannot export a private key as PEM.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { concat } from "../bytes.ts";

/** What a TLS-enabled cluster hands to clients (all PEM text). */
export interface TlsMaterial {
  /** The CA that signed the server and client certificates: trust this. */
  caCert: string;
  /** A client certificate signed by the CA (for `clientAuth: "need"`). */
  clientCert: string;
  /** The PKCS#8 private key of `clientCert`. */
  clientKey: string;
  /** A CA that signed nothing the server uses: trusting only it must fail. */
  untrustedCaCert: string;
  /** A client certificate signed by the untrusted CA: the server must refuse it. */
  untrustedClientCert: string;
  /** The private key of `untrustedClientCert`. */
  untrustedClientKey: string;
  /** The DNS names and IP addresses in the server certificate's SAN. */
  hostnames: string[];
}

/** Server-side files made by {@linkcode makeTlsMaterial}. */
export interface ServerTlsFiles extends TlsMaterial {
  /** PKCS#12 keystore with the server key and chain. */
  keyStore: string;
  /** PKCS#12 truststore with the CA. */
  trustStore: string;
  /** Password of both stores. */
  password: string;
  /** Folder holding all the files (PEMs too: `ca.pem`, `client.pem`, `client.key`, ...). */
  dir: string;
}

const PASSWORD = "zk-harness";
/**
 * keytool is a JVM start per call: start it lean, and skip the PKCS#12
 * password stretching (these throwaway stores guard nothing).
 */
const JVM_FLAGS = [
  "-J-XX:+UseSerialGC",
  "-J-XX:TieredStopAtLevel=1",
  "-J-XX:-UsePerfData",
  "-J-Xshare:auto",
  "-J-Dkeystore.pkcs12.keyPbeIterationCount=1",
  "-J-Dkeystore.pkcs12.certPbeIterationCount=1",
  "-J-Dkeystore.pkcs12.macIterationCount=1",
];

function run(keytool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(keytool, [...JVM_FLAGS, ...args, "-noprompt"], (error, _stdout, stderr) => {
      if (error) {
        reject(
          new Error(`keytool ${args[0]} failed: ${stderr || error.message}`, { cause: error }),
        );
      } else resolve();
    });
  });
}

/**
 * Makes the material in `dir` (created if needed). `hostnames` go into the
 * server certificate's subject alternative names; IP addresses as `ip:`.
 */
export async function makeTlsMaterial(
  java: string,
  dir: string,
  hostnames: string[] = ["localhost", "127.0.0.1"],
): Promise<ServerTlsFiles> {
  mkdirSync(dir, { recursive: true });
  const keytool = join(dirname(java), "keytool");
  const f = (name: string) => join(dir, name);
  const store = (name: string) => [
    "-keystore",
    f(name),
    "-storetype",
    "PKCS12",
    "-storepass",
    PASSWORD,
  ];
  const keypair = (name: string, alias: string, dname: string, ca: boolean) =>
    run(keytool, [
      "-genkeypair",
      "-alias",
      alias,
      "-keyalg",
      "EC",
      "-groupname",
      "secp256r1",
      "-dname",
      dname,
      "-validity",
      "3650",
      "-startdate",
      "-1d",
      ...(ca ? ["-ext", "bc:c"] : []),
      ...store(name),
      "-keypass",
      PASSWORD,
    ]);
  const exportCert = (name: string, alias: string, out: string) =>
    run(keytool, ["-exportcert", "-rfc", "-alias", alias, "-file", f(out), ...store(name)]);
  const signCsr = (caStore: string, csr: string, out: string, ext: string[]) =>
    run(keytool, [
      "-gencert",
      "-alias",
      "ca",
      "-infile",
      f(csr),
      "-outfile",
      f(out),
      "-rfc",
      "-validity",
      "3650",
      "-startdate",
      "-1d",
      ...ext.flatMap((e) => ["-ext", e]),
      ...store(caStore),
    ]);
  const san = "SAN=" + hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? `ip:${h}` : `dns:${h}`))
    .join(",");

  const client = clientKeyAndCsr("zk-harness-client");
  const untrustedClient = clientKeyAndCsr("zk-harness-untrusted-client");
  writeFileSync(f("client.key"), client.key);
  writeFileSync(f("client.csr"), client.csr);
  writeFileSync(f("untrusted-client.key"), untrustedClient.key);
  writeFileSync(f("untrusted-client.csr"), untrustedClient.csr);

  // Four rounds of JVM starts; each round's steps are independent.
  await Promise.all([
    keypair("ca.p12", "ca", "CN=zk-harness-ca", true),
    keypair("untrusted-ca.p12", "ca", "CN=zk-harness-untrusted-ca", true),
    keypair("server.p12", "server", `CN=${hostnames[0] ?? "localhost"}`, false),
  ]);
  await Promise.all([
    exportCert("ca.p12", "ca", "ca.pem"),
    exportCert("untrusted-ca.p12", "ca", "untrusted-ca.pem"),
    run(keytool, [
      "-certreq",
      "-alias",
      "server",
      "-file",
      f("server.csr"),
      ...store("server.p12"),
    ]),
  ]);
  const both = ["EKU=serverAuth,clientAuth"];
  await Promise.all([
    signCsr("ca.p12", "server.csr", "server.pem", [san, ...both]),
    signCsr("ca.p12", "client.csr", "client.pem", ["SAN=dns:localhost,ip:127.0.0.1", ...both]),
    signCsr("untrusted-ca.p12", "untrusted-client.csr", "untrusted-client.pem", [
      "SAN=dns:localhost,ip:127.0.0.1",
      ...both,
    ]),
    run(keytool, ["-importcert", "-alias", "ca", "-file", f("ca.pem"), ...store("trust.p12")]),
    run(keytool, ["-importcert", "-alias", "ca", "-file", f("ca.pem"), ...store("server.p12")]),
  ]);
  // The CA must be in the keystore before the reply, so keytool can build the chain.
  await run(keytool, [
    "-importcert",
    "-alias",
    "server",
    "-file",
    f("server.pem"),
    ...store("server.p12"),
  ]);

  const read = (name: string) => readFileSync(f(name), "utf8");
  return {
    caCert: read("ca.pem"),
    clientCert: read("client.pem"),
    clientKey: client.key,
    untrustedCaCert: read("untrusted-ca.pem"),
    untrustedClientCert: read("untrusted-client.pem"),
    untrustedClientKey: untrustedClient.key,
    hostnames: [...hostnames],
    keyStore: f("server.p12"),
    trustStore: f("trust.p12"),
    password: PASSWORD,
    dir,
  };
}

/** An EC P-256 key (PKCS#8 PEM) and a PKCS#10 request for it with `CN=cn`. */
function clientKeyAndCsr(cn: string): { key: string; csr: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const subject = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, new TextEncoder().encode(cn)))));
  // CertificationRequestInfo: version 0, subject, key, no attributes.
  const info = seq(tlv(0x02, new Uint8Array([0])), subject, spki, tlv(0xa0));
  const signature = sign("sha256", info, { key: privateKey, dsaEncoding: "der" });
  const csr = seq(info, seq(oid("1.2.840.10045.4.3.2")), tlv(0x03, new Uint8Array([0]), signature));
  const key = String(privateKey.export({ type: "pkcs8", format: "pem" }));
  return { key, csr: pem("CERTIFICATE REQUEST", csr) };
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = length < 0x80
    ? [tag, length]
    : length < 0x100
    ? [tag, 0x81, length]
    : [tag, 0x82, length >> 8, length & 0xff];
  return concat([new Uint8Array(head), ...parts]);
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

function pem(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

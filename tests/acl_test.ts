import assert from "node:assert/strict";
import {
  CREATOR_ALL_ACL,
  makeAcl,
  makeDigestAcl,
  makeDigestCredential,
  OPEN_ACL_UNSAFE,
  Perms,
  READ_ACL_UNSAFE,
  validateAcl,
} from "../lib/acl.ts";
import { InvalidACLError } from "../lib/errors.ts";
import type { ACL } from "../lib/types.ts";

Deno.test("Perms has ZooKeeper's bit values and ALL is their union", () => {
  assert.deepEqual(Perms, { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 });
  assert.equal(Perms.READ | Perms.WRITE | Perms.CREATE | Perms.DELETE | Perms.ADMIN, Perms.ALL);
});

Deno.test("the predefined ACL lists match ZooKeeper's Ids and cannot be modified", () => {
  assert.deepEqual(OPEN_ACL_UNSAFE, [{ perms: 31, id: { scheme: "world", id: "anyone" } }]);
  assert.deepEqual(CREATOR_ALL_ACL, [{ perms: 31, id: { scheme: "auth", id: "" } }]);
  assert.deepEqual(READ_ACL_UNSAFE, [{ perms: 1, id: { scheme: "world", id: "anyone" } }]);
  for (const list of [OPEN_ACL_UNSAFE, CREATOR_ALL_ACL, READ_ACL_UNSAFE]) {
    assert.throws(() => (list as ACL[]).push(list[0]), TypeError);
    assert.throws(() => {
      (list[0] as ACL).perms = 0;
    }, TypeError);
    assert.throws(() => {
      list[0].id.id = "someone";
    }, TypeError);
    validateAcl(list);
  }
});

Deno.test("makeAcl takes either a bit mask or kazoo-style flags", () => {
  assert.deepEqual(makeAcl("world", "anyone", Perms.READ | Perms.CREATE), {
    perms: 5,
    id: { scheme: "world", id: "anyone" },
  });
  assert.equal(makeAcl("world", "anyone", { read: true, create: true }).perms, 5);
  assert.equal(makeAcl("world", "anyone", { write: true, delete: true, admin: true }).perms, 26);
  assert.equal(makeAcl("world", "anyone", { all: true, read: false }).perms, 31);
  assert.equal(makeAcl("world", "anyone", {}).perms, 0);
  assert.equal(makeAcl("sasl", "bob", Perms.ALL).id.scheme, "sasl");
});

Deno.test("makeAcl refuses perms outside 0..31 and malformed ids", () => {
  for (const perms of [-1, 32, 1.5, Number.NaN]) {
    assert.throws(() => makeAcl("world", "anyone", perms), InvalidACLError, String(perms));
  }
  assert.throws(() => makeAcl("", "x", Perms.ALL), InvalidACLError);
  assert.throws(() => makeAcl("world", "everyone", Perms.ALL), InvalidACLError);
  assert.throws(() => makeAcl("ip", "localhost", Perms.ALL), InvalidACLError);
  assert.throws(() => makeAcl("digest", "user:pass:word", Perms.ALL), InvalidACLError);
});

Deno.test("makeDigestCredential is user:base64(sha1(user:password)) like ZooKeeper's", () => {
  // Values printed by ZooKeeper 3.8's DigestAuthenticationProvider (see the Java test below).
  assert.equal(makeDigestCredential("user", "pass"), "user:smGaoVKd/cQkjm7b88GyorAUz20=");
  assert.equal(makeDigestCredential("jürgen", "pässwörd"), "jürgen:ZzZA8jzfoav+ojLfTIYwbvSaH1o=");
  assert.equal(makeDigestCredential("😀", "x"), "😀:REqPFl+hNWT76jWOnLhc6nLqmrk=");
});

Deno.test("makeDigestCredential refuses a user name with ':' that no session could match", () => {
  // The server names the user after the credential's first ':', so "a:b" with password "c"
  // authenticates as "a:cLzg..." and an ACL for "a:b:..." would lock everyone out.
  assert.throws(() => makeDigestCredential("a:b", "c"), InvalidACLError);
  assert.equal(makeDigestCredential("a", "b:c"), "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=");
});

Deno.test("makeDigestAcl is a digest-scheme entry for the credential", () => {
  assert.deepEqual(makeDigestAcl("user", "pass", { read: true, write: true }), {
    perms: 3,
    id: { scheme: "digest", id: "user:smGaoVKd/cQkjm7b88GyorAUz20=" },
  });
});

const CLASSPATH = Deno.env.get("ZK_CLASSPATH") ??
  ["zookeeper.jar", "slf4j-api.jar", "slf4j-nop.jar"].map((j) => `/usr/share/java/${j}`).join(":");

function javaMissingReason(): string | undefined {
  try {
    const out = new Deno.Command("java", { args: ["-version"], stdout: "null", stderr: "null" })
      .outputSync();
    if (!out.success) return "`java -version` failed";
  } catch {
    return "no `java` on PATH";
  }
  const first = CLASSPATH.split(":")[0];
  try {
    Deno.statSync(first);
  } catch {
    return `${first} not found (set ZK_CLASSPATH to ZooKeeper's jars)`;
  }
  return undefined;
}

const javaMissing = javaMissingReason();
if (javaMissing) {
  console.warn(`acl_test: skipping the cross-check against ZooKeeper's Java code: ${javaMissing}`);
}

Deno.test({
  name: "makeDigestCredential agrees with ZooKeeper's own DigestAuthenticationProvider",
  ignore: javaMissing !== undefined,
  fn: async () => {
    const pairs: [string, string][] = [
      ["user", "pass"],
      ["super", "test"],
      ["jürgen", "pässwörd"],
      ["日本", "パスワード"],
      ["😀", "x"],
      ["a", "b:c"],
      ["", ""],
      ["x", " spaces and = + / "],
    ];
    const out = await new Deno.Command("java", {
      args: [
        // ZooKeeper 3.8's generateDigest uses the JVM's default charset (kazoo #584).
        "-Dfile.encoding=UTF-8",
        "-Dsun.jnu.encoding=UTF-8",
        "-cp",
        CLASSPATH,
        "org.apache.zookeeper.server.auth.DigestAuthenticationProvider",
        ...pairs.map(([u, p]) => `${u}:${p}`),
      ],
      env: { LC_ALL: "C.UTF-8" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.length, pairs.length, stdout);
    for (const [i, [user, password]] of pairs.entries()) {
      assert.equal(lines[i], `${user}:${password}->${makeDigestCredential(user, password)}`);
    }
  },
});

Deno.test("validateAcl refuses an empty list and non-arrays", () => {
  assert.throws(() => validateAcl([]), InvalidACLError);
  assert.throws(() => validateAcl(undefined as unknown as ACL[]), InvalidACLError);
  assert.throws(() => validateAcl(OPEN_ACL_UNSAFE[0] as unknown as ACL[]), InvalidACLError);
});

Deno.test("validateAcl refuses entries with bad perms, an empty scheme or a missing id", () => {
  const bad: unknown[] = [
    null,
    { perms: 32, id: { scheme: "world", id: "anyone" } },
    { perms: -1, id: { scheme: "world", id: "anyone" } },
    { perms: "31", id: { scheme: "world", id: "anyone" } },
    { perms: 31 },
    { perms: 31, id: { scheme: "", id: "anyone" } },
    { perms: 31, id: { id: "anyone" } },
    { perms: 31, id: { scheme: "sasl" } },
  ];
  for (const entry of bad) {
    assert.throws(
      () => validateAcl([...OPEN_ACL_UNSAFE, entry as ACL]),
      InvalidACLError,
      JSON.stringify(entry),
    );
  }
});

Deno.test("validateAcl applies the server's id checks for world, digest and ip", () => {
  const acl = (scheme: string, id: string): ACL[] => [{ perms: 31, id: { scheme, id } }];
  // Verdicts of ZooKeeper 3.8's IPAuthenticationProvider / DigestAuthenticationProvider.isValid.
  const verdicts: [string, string, boolean][] = [
    ["world", "anyone", true],
    ["world", "everyone", false],
    ["world", "", false],
    ["digest", "user:abc=", true],
    ["digest", ":x", true],
    ["digest", "a:b:", true],
    ["digest", "a:b::", true],
    ["digest", "user:", false],
    ["digest", "user", false],
    ["digest", "a:b:c", false],
    ["digest", "a::", false],
    ["digest", ":", false],
    ["digest", "", false],
    ["ip", "1.2.3.4", true],
    ["ip", "10.0.0.0/8", true],
    ["ip", "1.2.3.4/32", true],
    ["ip", "01.02.03.004", true],
    ["ip", "+1.2.3.4", true],
    ["ip", "1.2.3.4/+8", true],
    ["ip", "1.2.3.4/33", false],
    ["ip", "1.2.3.4/-1", false],
    ["ip", "1.2.3.4/", false],
    ["ip", "1.2.3.4/8/9", false],
    ["ip", "1.2.3", false],
    ["ip", "1.2.3.4.5", false],
    ["ip", "1..2.3", false],
    ["ip", "256.1.1.1", false],
    ["ip", "99999999999.1.1.1", false],
    ["ip", "1.2.3.x", false],
    ["ip", "localhost", false],
    ["ip", "", false],
    // IPv6, as ZooKeeper 3.9.4+ (ZOOKEEPER-4240) parses it.
    ["ip", "::1", true],
    ["ip", "fe80::/10", true],
    ["ip", "2001:db8:0:0:0:0:0:1/128", true],
    ["ip", "2001:db8::1/129", false],
    ["ip", "1:2:3:4:5:6:7", false],
    ["ip", "1::2::3", false],
    ["ip", "1:2:3:4::5:6:7:8", false],
    ["ip", "12345::", false],
    ["ip", "g::", false],
    // Left to the server: whether the provider exists, and what auth expands to.
    ["auth", "", true],
    ["sasl", "bob@EXAMPLE.COM", true],
    ["x509", "CN=client", true],
  ];
  for (const [scheme, id, valid] of verdicts) {
    const label = `${scheme}:${id}`;
    if (valid) validateAcl(acl(scheme, id));
    else assert.throws(() => validateAcl(acl(scheme, id)), InvalidACLError, label);
  }
});

Deno.test("an InvalidACLError says which entry is wrong and carries code -114", () => {
  try {
    validateAcl([{ perms: 31, id: { scheme: "ip", id: "nope" } }]);
    assert.fail("expected InvalidACLError");
  } catch (e) {
    assert.ok(e instanceof InvalidACLError);
    assert.equal(e.code, -114);
    assert.match(e.message, /ip:nope/);
  }
});

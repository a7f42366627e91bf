import assert from "node:assert/strict";
import { DigestMd5Client, type DigestMd5Options } from "../lib/auth/sasl_digest_md5.ts";
import { md5 } from "../lib/auth/md5.ts";
import { AuthFailedError } from "../lib/errors.ts";
import { text } from "./bytes.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Splits a digest-response into its directives (values still quoted). */
function directivesOf(response: Uint8Array): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of text(response).matchAll(/([a-z-]+)=("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    map.set(m[1], m[2]);
  }
  return map;
}

/**
 * RFC 2831 2.1.2.1's response-value, written out independently of the
 * client, for ASCII credentials: what a server computes to check a response.
 */
function expectedResponse(
  a: { user: string; realm: string; password: string; nonce: string; cnonce: string },
  digestUri: string,
  a2Prefix: string,
): string {
  const h = (s: Uint8Array) => md5(s);
  const inner = h(bytes(`${a.user}:${a.realm}:${a.password}`));
  const a1 = new Uint8Array([...inner, ...bytes(`:${a.nonce}:${a.cnonce}`)]);
  const ha2 = h(bytes(`${a2Prefix}:${digestUri}`)).toHex();
  return h(bytes(`${h(a1).toHex()}:${a.nonce}:00000001:${a.cnonce}:auth:${ha2}`)).toHex();
}

Deno.test("reproduces RFC 2831's example exchange (chris/secret)", () => {
  const client = new DigestMd5Client({
    username: "chris",
    password: "secret",
    service: "imap",
    host: "elwood.innosoft.com",
    cnonce: "OA6MHXh6VqTrRk",
  });
  assert.deepEqual(client.initialResponse(), new Uint8Array(0));
  const response = client.evaluateChallenge(bytes(
    'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8',
  ));
  assert.deepEqual(
    directivesOf(response),
    new Map([
      ["username", '"chris"'],
      ["realm", '"elwood.innosoft.com"'],
      ["nonce", '"OA6MG9tEQGm2hh"'],
      ["cnonce", '"OA6MHXh6VqTrRk"'],
      ["nc", "00000001"],
      ["qop", "auth"],
      ["digest-uri", '"imap/elwood.innosoft.com"'],
      ["response", "d388dad90d4bbd760a152321f2143af7"],
      ["charset", "utf-8"],
    ]),
  );
  assert.equal(client.complete, false);
  const last = client.evaluateChallenge(bytes("rspauth=ea40f60335c427b5527b84dbabcdfffd"));
  assert.equal(last.length, 0);
  assert.equal(client.complete, true);
});

/**
 * Exchanges captured from ZooKeeper 3.8's own server side: a SaslServer made by
 * `SecurityUtils.createSaslServer(subject, "zookeeper", "zk-sasl-md5", ...)`
 * with `SaslServerCallbackHandler` over a JAAS `Server` section listing the
 * users. The server issued `challenge`, accepted exactly `response` (computed
 * by this client with the fixed cnonce) and answered `rspauth`; `identity` is
 * the authorization id it then reported.
 */
const JAVA_FIXTURES: {
  options: DigestMd5Options;
  challenge: string;
  response: string;
  rspauth: string;
  identity: string;
}[] = [
  {
    options: { username: "bob", password: "secret" },
    challenge:
      'realm="zk-sasl-md5",nonce="HXXge0CWHE86GVRBZ8PStNpm+G/x3PasUyEArrsc",charset=utf-8,algorithm=md5-sess',
    response:
      'username="bob",realm="zk-sasl-md5",nonce="HXXge0CWHE86GVRBZ8PStNpm+G/x3PasUyEArrsc",cnonce="fixedCnonceForTests0123",nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=774adcb7d2eca013b395c86f386b3df3,charset=utf-8',
    rspauth: "rspauth=66ebce504909b7b0f2b7fcd4ab94e101",
    identity: "bob",
  },
  {
    // Fits ISO 8859-1, so user and password are hashed as Latin-1 bytes.
    options: { username: "jürgen", password: "päss" },
    challenge:
      'realm="zk-sasl-md5",nonce="u8srEDzlm/+SEi+PTIqY0QqXITC6yI8RZDVaCHKg",charset=utf-8,algorithm=md5-sess',
    response:
      'username="jürgen",realm="zk-sasl-md5",nonce="u8srEDzlm/+SEi+PTIqY0QqXITC6yI8RZDVaCHKg",cnonce="fixedCnonceForTests0123",nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=713d6f6a057675b99b9f3738b674acba,charset=utf-8',
    rspauth: "rspauth=4f61e55e5a1cec3a7cd55d3e12998285",
    identity: "jürgen",
  },
  {
    // Does not fit ISO 8859-1, so user and password are hashed as UTF-8.
    options: { username: "日本", password: "パス" },
    challenge:
      'realm="zk-sasl-md5",nonce="bVHtnA+PC2lJiu7ei2XASG4QInhAegnwQnKifxXm",charset=utf-8,algorithm=md5-sess',
    response:
      'username="日本",realm="zk-sasl-md5",nonce="bVHtnA+PC2lJiu7ei2XASG4QInhAegnwQnKifxXm",cnonce="fixedCnonceForTests0123",nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=1527a9bbc45a8e2c5435f784391242a5,charset=utf-8',
    rspauth: "rspauth=2814e8829882cfd490ebc658207420d4",
    identity: "日本",
  },
  {
    // Quotes and backslashes are escaped on the wire and hashed unescaped.
    options: { username: 'q"uo\\te', password: 'pw"\\x' },
    challenge:
      'realm="zk-sasl-md5",nonce="9mT3iHzTyFsZBm+TOUxNpgM2KFu9zbcmLa1FPwZp",charset=utf-8,algorithm=md5-sess',
    response:
      'username="q\\"uo\\\\te",realm="zk-sasl-md5",nonce="9mT3iHzTyFsZBm+TOUxNpgM2KFu9zbcmLa1FPwZp",cnonce="fixedCnonceForTests0123",nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=5d8418173eee145549e6bbbc608e7cc3,charset=utf-8',
    rspauth: "rspauth=d85d1e6fde4fa03c4e3c38e260dc5f96",
    identity: 'q"uo\\te',
  },
  {
    // ZooKeeper authorizes any authzid, then names the session after the user anyway.
    options: { username: "bob", password: "secret", authzid: "alice" },
    challenge:
      'realm="zk-sasl-md5",nonce="/7JsJCeOriNZHDVKWyRvcXOCz6TUG5GuH/82nJub",charset=utf-8,algorithm=md5-sess',
    response:
      'username="bob",realm="zk-sasl-md5",nonce="/7JsJCeOriNZHDVKWyRvcXOCz6TUG5GuH/82nJub",cnonce="fixedCnonceForTests0123",nc=00000001,qop=auth,digest-uri="zookeeper/zk-sasl-md5",response=e7a2c5fe27925f8828a0a6dccf170892,charset=utf-8,authzid="alice"',
    rspauth: "rspauth=97ff81a33848618bffd31304c7ef5398",
    identity: "bob",
  },
];

Deno.test("answers ZooKeeper's Java SASL server exactly as captured, and accepts its rspauth", () => {
  for (const fixture of JAVA_FIXTURES) {
    const client = new DigestMd5Client({ ...fixture.options, cnonce: "fixedCnonceForTests0123" });
    const response = client.evaluateChallenge(bytes(fixture.challenge));
    assert.equal(text(response), fixture.response, fixture.options.username);
    client.evaluateChallenge(bytes(fixture.rspauth));
    assert.equal(client.complete, true);
  }
});

Deno.test("a server that does not know the password is caught by the rspauth check", () => {
  const [fixture] = JAVA_FIXTURES;
  // Same exchange, but this client was given another password: the server's proof cannot match.
  const client = new DigestMd5Client({
    username: "bob",
    password: "not-secret",
    cnonce: "fixedCnonceForTests0123",
  });
  client.evaluateChallenge(bytes(fixture.challenge));
  assert.throws(() => client.evaluateChallenge(bytes(fixture.rspauth)), AuthFailedError);
  assert.equal(client.complete, false);
  // After a failure the client stays failed.
  assert.throws(() => client.evaluateChallenge(bytes(fixture.rspauth)), AuthFailedError);
});

Deno.test("a tampered, missing or repeated rspauth fails authentication", () => {
  const [fixture] = JAVA_FIXTURES;
  const tampered = fixture.rspauth.slice(0, -1) + (fixture.rspauth.endsWith("1") ? "2" : "1");
  for (const bad of [tampered, "rspauth=", 'realm="x"', `${fixture.rspauth},${fixture.rspauth}`]) {
    const client = new DigestMd5Client({ ...fixture.options, cnonce: "fixedCnonceForTests0123" });
    client.evaluateChallenge(bytes(fixture.challenge));
    assert.throws(() => client.evaluateChallenge(bytes(bad)), AuthFailedError, bad);
    assert.equal(client.complete, false);
  }
});

Deno.test("rspauth is accepted quoted or in upper case", () => {
  const [fixture] = JAVA_FIXTURES;
  for (const form of [`rspauth="${fixture.rspauth.slice(8)}"`, fixture.rspauth.toUpperCase()]) {
    const client = new DigestMd5Client({ ...fixture.options, cnonce: "fixedCnonceForTests0123" });
    client.evaluateChallenge(bytes(fixture.challenge));
    client.evaluateChallenge(bytes(form));
    assert.equal(client.complete, true, form);
  }
});

Deno.test("a challenge after completion, or rspauth before the challenge, is refused", () => {
  const [fixture] = JAVA_FIXTURES;
  const client = new DigestMd5Client({ ...fixture.options, cnonce: "fixedCnonceForTests0123" });
  client.evaluateChallenge(bytes(fixture.challenge));
  client.evaluateChallenge(bytes(fixture.rspauth));
  assert.throws(() => client.evaluateChallenge(bytes(fixture.challenge)), AuthFailedError);

  const early = new DigestMd5Client({ username: "bob", password: "secret" });
  assert.throws(() => early.evaluateChallenge(bytes(fixture.rspauth)), AuthFailedError);
});

const base = { user: "u", password: "p", nonce: "n0nce", cnonce: "c" };
const uri = "zookeeper/zk-sasl-md5";

function respond(challenge: string, options: Partial<DigestMd5Options> = {}): Map<string, string> {
  const client = new DigestMd5Client({ username: "u", password: "p", cnonce: "c", ...options });
  return directivesOf(client.evaluateChallenge(bytes(challenge)));
}

Deno.test("quoted values are unescaped before hashing and escaped again in the response", () => {
  const got = respond('realm="a\\"b\\\\c",nonce="n\\0nce",algorithm=md5-sess,charset=utf-8');
  assert.equal(got.get("realm"), '"a\\"b\\\\c"');
  assert.equal(got.get("nonce"), '"n0nce"');
  assert.equal(
    got.get("response"),
    expectedResponse({ ...base, realm: 'a"b\\c' }, uri, "AUTHENTICATE"),
  );
});

Deno.test("with several realms offered the first is used", () => {
  const got = respond(
    'realm="first",realm="second",nonce="n0nce",qop="auth",algorithm=md5-sess,charset=utf-8',
  );
  assert.equal(got.get("realm"), '"first"');
  assert.equal(
    got.get("response"),
    expectedResponse({ ...base, realm: "first" }, uri, "AUTHENTICATE"),
  );
});

Deno.test("without a realm the response has none and hashes an empty realm", () => {
  const got = respond('nonce="n0nce",algorithm=md5-sess,charset=utf-8');
  assert.equal(got.has("realm"), false);
  assert.equal(got.get("response"), expectedResponse({ ...base, realm: "" }, uri, "AUTHENTICATE"));
});

Deno.test("a missing qop means auth; a qop list must include auth", () => {
  assert.equal(respond('nonce="n",algorithm=md5-sess').get("qop"), "auth");
  assert.equal(
    respond('nonce="n",qop="auth-conf, auth ,auth-int",algorithm=md5-sess').get("qop"),
    "auth",
  );
  assert.throws(
    () => respond('nonce="n",qop="auth-int,auth-conf",algorithm=md5-sess'),
    (e: unknown) => e instanceof AuthFailedError && /qop=auth/.test(e.message),
  );
});

Deno.test("tolerates whitespace, empty list elements and upper-case names", () => {
  const got = respond(
    ' REALM = "r" ,, Nonce="n0nce" ,\tALGORITHM=MD5-SESS , charset="UTF-8", x=y ',
  );
  assert.equal(got.get("response"), expectedResponse({ ...base, realm: "r" }, uri, "AUTHENTICATE"));
  assert.equal(got.get("charset"), "utf-8");
});

Deno.test("without charset=utf-8 the response is ISO 8859-1 and refuses other characters", () => {
  const client = new DigestMd5Client({ username: "jürgen", password: "p", cnonce: "c" });
  const response = client.evaluateChallenge(bytes('realm="r",nonce="n",algorithm=md5-sess'));
  assert.equal(response[11], 0xfc); // username="j\xfcrgen": one Latin-1 byte for ü
  assert.equal(directivesOf(response).has("charset"), false);
  const wide = new DigestMd5Client({ username: "日本", password: "p" });
  assert.throws(
    () => wide.evaluateChallenge(bytes('realm="r",nonce="n",algorithm=md5-sess')),
    AuthFailedError,
  );
});

Deno.test("malformed or unsupported challenges fail with AuthFailedError", () => {
  const bad = [
    "",
    ",,",
    'realm="r",algorithm=md5-sess', // no nonce
    'nonce="a",nonce="b",algorithm=md5-sess', // nonce twice
    'nonce="n"', // no algorithm
    'nonce="n",algorithm=md5', // only md5-sess is defined for SASL
    'nonce="n",algorithm=md5-sess,charset=iso-8859-1',
    'nonce="n",algorithm=md5-sess,qop="auth",qop="auth"',
    'nonce="n,algorithm=md5-sess', // unterminated quote
    'nonce="n\\', // escape at the end
    'nonce "n",algorithm=md5-sess', // no "="
    "nonce=,algorithm=md5-sess", // empty token
    'nonce="n" x,algorithm=md5-sess', // junk after a value
    '="n",algorithm=md5-sess', // no name
  ];
  for (const challenge of bad) {
    const client = new DigestMd5Client({ username: "u", password: "p" });
    assert.throws(() => client.evaluateChallenge(bytes(challenge)), AuthFailedError, challenge);
  }
});

Deno.test("error messages never contain the password", () => {
  const password = "hunter2-very-secret";
  const cases = ['nonce="n",qop="auth-int",algorithm=md5-sess', ""];
  for (const challenge of cases) {
    const client = new DigestMd5Client({ username: "u", password });
    try {
      client.evaluateChallenge(bytes(challenge));
      assert.fail("expected AuthFailedError");
    } catch (e) {
      assert.ok(e instanceof AuthFailedError);
      assert.ok(!e.message.includes(password));
    }
  }
});

Deno.test("each client picks a fresh random cnonce", () => {
  const challenge = bytes('realm="r",nonce="n",algorithm=md5-sess,charset=utf-8');
  const a = directivesOf(
    new DigestMd5Client({ username: "u", password: "p" }).evaluateChallenge(challenge),
  );
  const b = directivesOf(
    new DigestMd5Client({ username: "u", password: "p" }).evaluateChallenge(challenge),
  );
  assert.notEqual(a.get("cnonce"), b.get("cnonce"));
  assert.ok((a.get("cnonce") ?? "").length >= 20);
});

/**
 * The client side of SASL DIGEST-MD5 (RFC 2831), as ZooKeeper's server runs
 * it: Java's SASL `DigestMD5Server` created for protocol `zookeeper` and
 * server name `zk-sasl-md5`, with users from the JAAS `Server` section.
 *
 * Only authentication (`qop=auth`) is implemented: ZooKeeper never wraps
 * traffic in a SASL security layer, it uses TLS for that.
 *
 * The exchange over ZooKeeper's SASL requests (opcode 102):
 *
 * 1. the client sends {@linkcode DigestMd5Client.initialResponse} (empty:
 *    DIGEST-MD5 has no initial response);
 * 2. the server answers with the digest-challenge (realm, nonce, qop, ...),
 *    and the client sends what {@linkcode DigestMd5Client.evaluateChallenge}
 *    returns for it;
 * 3. the server answers `rspauth=...`, which proves it knows the password
 *    too; `evaluateChallenge` checks it and the client is then
 *    {@linkcode DigestMd5Client.complete}: nothing more is sent.
 *
 * @module
 */

import { AuthFailedError } from "../errors.ts";
import { md5 } from "./md5.ts";
import { concat } from "../bytes.ts";

/** Options of a {@linkcode DigestMd5Client}. */
export interface DigestMd5Options {
  /** The user to authenticate as (the JAAS `Server` section's `user_<name>`). */
  username: string;
  /** The user's password. */
  password: string;
  /**
   * The identity to act as, if not `username`. Sent as `authzid`. ZooKeeper's
   * server accepts any value and then names the session after `username`
   * anyway, so this is rarely useful with it.
   */
  authzid?: string;
  /** The service part of `digest-uri`. Default `"zookeeper"`. */
  service?: string;
  /** The host part of `digest-uri`. Default `"zk-sasl-md5"`, what ZooKeeper's server expects. */
  host?: string;
  /**
   * The client nonce. Default: 128 random bits. Set it only to reproduce an
   * exchange in a test: a repeated cnonce weakens the mechanism.
   */
  cnonce?: string;
}

/** Where the exchange is: waiting for the challenge, for rspauth, done, or failed. */
type Step = "challenge" | "rspauth" | "complete" | "failed";

/**
 * One DIGEST-MD5 authentication. Single use: make a new one for every
 * connection attempt, since the server issues a fresh nonce each time and the
 * nonce count is always 1.
 *
 * Every failure, a malformed challenge, a missing `qop=auth` or a wrong
 * `rspauth` alike, is an {@linkcode AuthFailedError}; none of their messages
 * contains the password.
 *
 * @example
 * ```ts
 * import { DigestMd5Client } from "./sasl_digest_md5.ts";
 * declare function sendSaslToken(token: Uint8Array): Promise<Uint8Array>;
 * const sasl = new DigestMd5Client({ username: "bob", password: "secret" });
 * let token = sasl.initialResponse();
 * while (!sasl.complete) {
 *   const challenge = await sendSaslToken(token); // opcode 102 round trip
 *   token = sasl.evaluateChallenge(challenge);
 * }
 * ```
 */
export class DigestMd5Client {
  /** The SASL mechanism name. */
  readonly mechanism: "DIGEST-MD5" = "DIGEST-MD5";
  readonly #username: string;
  readonly #password: string;
  readonly #authzid: string | undefined;
  readonly #digestUri: string;
  readonly #cnonce: string;
  #step: Step = "challenge";
  #expectedRspauth = "";

  /** Prepares an authentication as `username`; nothing is computed until the challenge arrives. */
  constructor(options: DigestMd5Options) {
    const { username, password, authzid, service = "zookeeper", host = "zk-sasl-md5" } = options;
    if (typeof username !== "string" || typeof password !== "string") {
      throw new TypeError("DIGEST-MD5 needs a string username and password");
    }
    this.#username = username;
    this.#password = password;
    this.#authzid = authzid;
    this.#digestUri = `${service}/${host}`;
    this.#cnonce = options.cnonce ?? randomNonce();
  }

  /** True once the server's `rspauth` has been verified. */
  get complete(): boolean {
    return this.#step === "complete";
  }

  /**
   * The token that opens the exchange: empty, because DIGEST-MD5 starts with
   * the server's challenge. ZooKeeper still expects it to be sent.
   *
   * @example
   * ```ts
   * import { DigestMd5Client } from "./sasl_digest_md5.ts";
   * new DigestMd5Client({ username: "u", password: "p" }).initialResponse().length; // 0
   * ```
   */
  initialResponse(): Uint8Array {
    return new Uint8Array(0);
  }

  /**
   * The answer to the server's next token: the digest-response for the
   * digest-challenge, then (after checking `rspauth`) an empty token that
   * need not be sent, since the client is then {@linkcode complete}.
   *
   * @throws {AuthFailedError} if the challenge is malformed, does not offer
   * `qop=auth` or `algorithm=md5-sess`, if `rspauth` is missing or wrong, or
   * if the exchange is already over.
   *
   * @example
   * ```ts
   * import { DigestMd5Client } from "./sasl_digest_md5.ts";
   * const sasl = new DigestMd5Client({ username: "u", password: "p" });
   * const challenge = new TextEncoder().encode(
   *   'realm="zk-sasl-md5",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess',
   * );
   * const response = sasl.evaluateChallenge(challenge); // username="u",realm=...
   * ```
   */
  evaluateChallenge(challenge: Uint8Array): Uint8Array {
    try {
      switch (this.#step) {
        case "challenge": {
          const response = this.#respond(parseDirectives(decodeText(challenge)));
          this.#step = "rspauth";
          return response;
        }
        case "rspauth":
          this.#checkRspauth(parseDirectives(decodeText(challenge)));
          this.#step = "complete";
          return new Uint8Array(0);
        case "complete":
          throw new AuthFailedError("SASL DIGEST-MD5: server sent a challenge after completion");
        default:
          throw new AuthFailedError("SASL DIGEST-MD5: exchange already failed");
      }
    } catch (e) {
      this.#step = "failed";
      throw e;
    }
  }

  #respond(directives: Map<string, string[]>): Uint8Array {
    if (directives.has("rspauth")) fail("got rspauth before the digest-challenge");
    const nonce = single(directives, "nonce", true);
    const algorithm = single(directives, "algorithm", true);
    if (algorithm.toLowerCase() !== "md5-sess") fail(`unsupported algorithm ${algorithm}`);
    const charset = single(directives, "charset", false);
    if (charset !== "" && charset.toLowerCase() !== "utf-8") fail(`unsupported charset ${charset}`);
    const utf8 = charset !== "";
    // qop is a quoted, comma-separated list; a challenge without one offers only "auth".
    const qopOffered = directives.has("qop")
      ? single(directives, "qop", true).split(",").map((q) => q.trim().toLowerCase())
      : ["auth"];
    if (!qopOffered.includes("auth")) {
      fail(`server does not offer qop=auth (offers ${qopOffered.join(", ")})`);
    }
    for (const once of ["stale", "maxbuf"]) single(directives, once, false);
    // With several realms take the first; ZooKeeper's server only ever offers its one.
    const realms = directives.get("realm");
    const realm = realms?.[0] ?? "";

    const nc = "00000001";
    const qop = "auth";
    const encode = utf8 ? encodeUtf8 : encodeLatin1;
    // RFC 2831 2.1.2.1: with charset=utf-8, each of user, realm and password is
    // hashed in ISO 8859-1 when it fits and in UTF-8 otherwise (Java does the same).
    const credentials = md5(
      concat([
        userString(this.#username, utf8),
        COLON,
        userString(realm, utf8),
        COLON,
        userString(this.#password, utf8),
      ]),
    );
    const a1 = concat([
      credentials,
      encode(`:${nonce}:${this.#cnonce}`),
      this.#authzid === undefined ? new Uint8Array(0) : encode(`:${this.#authzid}`),
    ]);
    const ha1 = md5(a1).toHex();
    const kd = (a2: string): string =>
      md5(encode(`${ha1}:${nonce}:${nc}:${this.#cnonce}:${qop}:${md5(encode(a2)).toHex()}`))
        .toHex();
    const response = kd(`AUTHENTICATE:${this.#digestUri}`);
    this.#expectedRspauth = kd(`:${this.#digestUri}`);

    const parts = [`username=${quote(this.#username)}`];
    if (realms !== undefined) parts.push(`realm=${quote(realm)}`);
    parts.push(
      `nonce=${quote(nonce)}`,
      `cnonce=${quote(this.#cnonce)}`,
      `nc=${nc}`,
      `qop=${qop}`,
      `digest-uri=${quote(this.#digestUri)}`,
      `response=${response}`,
    );
    if (utf8) parts.push("charset=utf-8");
    if (this.#authzid !== undefined) parts.push(`authzid=${quote(this.#authzid)}`);
    return encode(parts.join(","));
  }

  #checkRspauth(directives: Map<string, string[]>): void {
    const rspauth = single(directives, "rspauth", false);
    if (rspauth === "") fail("server's final message has no rspauth");
    if (!constantTimeEqual(rspauth.toLowerCase(), this.#expectedRspauth)) {
      fail(
        "server's rspauth does not match: it does not know the password, or the exchange was tampered with",
      );
    }
  }
}

const COLON = new Uint8Array([58]);

function fail(reason: string): never {
  throw new AuthFailedError(`SASL DIGEST-MD5: ${reason}`);
}

/** The only value of a directive that may appear at most once; "" when absent and optional. */
function single(directives: Map<string, string[]>, name: string, required: boolean): string {
  const values = directives.get(name);
  if (values === undefined) {
    if (required) fail(`challenge has no ${name}`);
    return "";
  }
  if (values.length > 1) fail(`challenge has ${name} more than once`);
  return values[0];
}

/** Tokens in the challenge are ASCII; quoted strings are UTF-8, or ISO 8859-1 from old servers. */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
}

const SEPARATORS = new Set('()<>@,;:\\"/[]?={} \t');

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 32 && code < 127 && !SEPARATORS.has(c);
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/**
 * Parses RFC 2831's `1#( name "=" ( token | quoted-string ) )`: directive
 * names lower-cased, values unquoted and unescaped, in order of appearance.
 * Empty list elements (`a=1,,b=2`) are allowed, as the `#` rule says.
 */
function parseDirectives(text: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  let i = 0;
  const skipSpace = () => {
    while (isSpace(text[i])) i++;
  };
  while (true) {
    while (isSpace(text[i]) || text[i] === ",") i++;
    if (i >= text.length) break;
    const nameStart = i;
    while (i < text.length && isTokenChar(text[i])) i++;
    if (i === nameStart) fail(`malformed challenge at offset ${i}`);
    const name = text.slice(nameStart, i).toLowerCase();
    skipSpace();
    if (text[i] !== "=") fail(`malformed challenge: ${name} has no value`);
    i++;
    skipSpace();
    let value = "";
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i++];
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === "\\") {
          if (i >= text.length) break;
          value += text[i++];
        } else {
          value += c;
        }
      }
      if (!closed) fail(`malformed challenge: unterminated quoted value of ${name}`);
    } else {
      // Tokens proper exclude separators, but servers put "/" and "=" in bare nonces:
      // take everything up to the next comma or space.
      const valueStart = i;
      while (i < text.length && text[i] !== "," && !isSpace(text[i]) && text[i] !== '"') i++;
      if (i === valueStart) fail(`malformed challenge: ${name} has an empty value`);
      value = text.slice(valueStart, i);
    }
    skipSpace();
    if (i < text.length && text[i] !== ",") fail(`malformed challenge after ${name}`);
    const values = directives.get(name);
    if (values) values.push(value);
    else directives.set(name, [value]);
  }
  if (directives.size === 0) fail("empty challenge");
  return directives;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const utf8Encoder = new TextEncoder();

function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

function encodeLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff) fail("a value is not ISO 8859-1 and the server did not offer charset=utf-8");
    out[i] = code;
  }
  return out;
}

function userString(s: string, utf8: boolean): Uint8Array {
  if (utf8) {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return encodeUtf8(s);
  }
  return encodeLatin1(s);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function randomNonce(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64({ omitPadding: true });
}

/**
 * ACL helpers: permission bits, the predefined ACL lists, digest identities
 * computed as ZooKeeper's `DigestAuthenticationProvider` does, and a
 * client-side check that catches the ACLs a server would refuse.
 *
 * ```ts
 * import { makeDigestAcl, Perms, READ_ACL_UNSAFE, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const data: Uint8Array;
 * const acl = [makeDigestAcl("admin", "s3cret", Perms.ALL), ...READ_ACL_UNSAFE];
 * await zk.create("/config", data, { acl });
 * await zk.addAuth("digest", "admin:s3cret");
 * ```
 *
 * @module
 */

import { InvalidACLError } from "./errors.ts";
import type { ACL } from "./types.ts";
import { sha1 } from "./auth/sha1.ts";

/**
 * ZooKeeper's permission bits. An ACL entry's `perms` is a bitwise OR of them.
 *
 * @example
 * ```ts
 * import { makeAcl, Perms } from "@zk/client";
 * makeAcl("ip", "10.0.0.0/8", Perms.READ | Perms.WRITE); // { perms: 3, ... }
 * ```
 */
export const Perms = {
  /** Read the node's data and list its children. */
  READ: 1,
  /** Set the node's data. */
  WRITE: 2,
  /** Create children. */
  CREATE: 4,
  /** Delete children. */
  DELETE: 8,
  /** Set the node's ACL. */
  ADMIN: 16,
  /** All of the above. */
  ALL: 31,
} as const;

/**
 * Permissions by name, for {@linkcode makeAcl} (kazoo's `make_acl` keyword
 * style). Missing flags count as `false`; `all` grants everything.
 */
export interface PermsFlags {
  /** Grant {@linkcode Perms.READ}. */
  read?: boolean;
  /** Grant {@linkcode Perms.WRITE}. */
  write?: boolean;
  /** Grant {@linkcode Perms.CREATE}. */
  create?: boolean;
  /** Grant {@linkcode Perms.DELETE}. */
  delete?: boolean;
  /** Grant {@linkcode Perms.ADMIN}. */
  admin?: boolean;
  /** Grant {@linkcode Perms.ALL}. */
  all?: boolean;
}

const encoder = new TextEncoder();

function frozenAcl(perms: number, scheme: string, id: string): ACL {
  return Object.freeze({ perms, id: Object.freeze({ scheme, id }) });
}

/**
 * Anyone may do anything: `[ALL, world:anyone]`. ZooKeeper's default, and
 * the default ACL of `create` unless the client sets another.
 *
 * @example
 * ```ts
 * import { OPEN_ACL_UNSAFE, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * await zk.create("/scratch", undefined, { acl: OPEN_ACL_UNSAFE });
 * ```
 */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  frozenAcl(Perms.ALL, "world", "anyone"),
]);

/**
 * Everything for the creator's authenticated identities: `[ALL, auth:""]`.
 * The server replaces the `auth` id with each id the session has
 * authenticated as, and refuses the ACL (`InvalidACLError`) if there is none.
 *
 * @example
 * ```ts
 * import { CREATOR_ALL_ACL, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * await zk.addAuth("digest", "alice:pw");
 * await zk.create("/private", undefined, { acl: CREATOR_ALL_ACL });
 * ```
 */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([frozenAcl(Perms.ALL, "auth", "")]);

/**
 * Anyone may read, nobody may change: `[READ, world:anyone]`.
 *
 * @example
 * ```ts
 * import { READ_ACL_UNSAFE, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const data: Uint8Array;
 * await zk.create("/published", data, { acl: READ_ACL_UNSAFE });
 * ```
 */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  frozenAcl(Perms.READ, "world", "anyone"),
]);

/**
 * One ACL entry granting `perms` to `scheme:id`. `perms` is a bit mask of
 * {@linkcode Perms} or a {@linkcode PermsFlags} object.
 *
 * @throws {InvalidACLError} if the entry is one ZooKeeper would refuse (see
 * {@linkcode validateAcl}).
 *
 * @example
 * ```ts
 * import { makeAcl, Perms } from "@zk/client";
 * makeAcl("world", "anyone", { read: true, create: true }); // perms 5
 * makeAcl("ip", "192.168.0.0/16", Perms.ALL);
 * ```
 */
export function makeAcl(scheme: string, id: string, perms: number | PermsFlags): ACL {
  const acl: ACL = {
    perms: typeof perms === "number" ? perms : permsFromFlags(perms),
    id: { scheme, id },
  };
  validateEntry(acl);
  return acl;
}

function permsFromFlags(flags: PermsFlags): number {
  if (flags === null || typeof flags !== "object") {
    throw new InvalidACLError(`perms must be a number or an object of flags, not ${String(flags)}`);
  }
  if (flags.all) return Perms.ALL;
  return (flags.read ? Perms.READ : 0) | (flags.write ? Perms.WRITE : 0) |
    (flags.create ? Perms.CREATE : 0) | (flags.delete ? Perms.DELETE : 0) |
    (flags.admin ? Perms.ADMIN : 0);
}

/**
 * The `digest` scheme's id for a user: `user:base64(sha1(utf8("user:password")))`,
 * exactly as ZooKeeper's `DigestAuthenticationProvider.generateDigest`
 * computes it. A session that ran `addAuth("digest", "user:password")` has
 * this id.
 *
 * @throws {InvalidACLError} if `user` contains `:`. The server takes the
 * user name to be everything before the first `:` of the credential, so such
 * a user could never match the id.
 *
 * @example
 * ```ts
 * import { makeDigestCredential } from "@zk/client";
 * makeDigestCredential("user", "pass"); // "user:smGaoVKd/cQkjm7b88GyorAUz20="
 * ```
 */
export function makeDigestCredential(user: string, password: string): string {
  if (typeof user !== "string" || typeof password !== "string") {
    throw new InvalidACLError("digest user and password must be strings");
  }
  if (user.includes(":")) {
    throw new InvalidACLError(
      `digest user name must not contain ':' (got ${JSON.stringify(user)})`,
    );
  }
  const digest = sha1(encoder.encode(`${user}:${password}`));
  return `${user}:${digest.toBase64()}`;
}

/**
 * An ACL entry granting `perms` to the `digest` identity of `user` with
 * `password` (see {@linkcode makeDigestCredential}).
 *
 * @example
 * ```ts
 * import { makeDigestAcl, Perms, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const data: Uint8Array;
 * await zk.create("/secrets", data, { acl: [makeDigestAcl("ops", "pw", Perms.ALL)] });
 * await zk.addAuth("digest", "ops:pw"); // now this session can read it
 * ```
 */
export function makeDigestAcl(user: string, password: string, perms: number | PermsFlags): ACL {
  return makeAcl("digest", makeDigestCredential(user, password), perms);
}

/**
 * Throws {@linkcode InvalidACLError} for an ACL list ZooKeeper would refuse,
 * so the mistake surfaces before anything is sent:
 *
 * - not an array, or empty (the Java client refuses these too);
 * - an entry whose `perms` is not an integer in 0..31, or whose `id` has an
 *   empty or non-string `scheme`, or a non-string `id`;
 * - `world` with an id other than `anyone`;
 * - `digest` whose id is not `user:digest` (the server's `isValid`: exactly
 *   two parts when split on `:`);
 * - `ip` whose id is not an address with an optional `/bits` prefix length.
 *
 * IPv6 `ip` ids pass: ZooKeeper accepts them from 3.9.4 (ZOOKEEPER-4240) and
 * an older server refuses them itself. `auth` ids, and schemes this client
 * does not know (`sasl`, `x509`, custom providers), are left to the server.
 *
 * @example
 * ```ts
 * import { InvalidACLError, validateAcl } from "@zk/client";
 * validateAcl([{ perms: 31, id: { scheme: "world", id: "anyone" } }]); // ok
 * try { validateAcl([]); } catch (e) { e instanceof InvalidACLError; } // true
 * ```
 */
export function validateAcl(acl: readonly ACL[]): void {
  if (!Array.isArray(acl)) throw new InvalidACLError("ACL must be an array of entries");
  if (acl.length === 0) throw new InvalidACLError("ACL must have at least one entry");
  for (const entry of acl) validateEntry(entry);
}

function validateEntry(entry: ACL): void {
  if (entry === null || typeof entry !== "object") {
    throw new InvalidACLError(`ACL entry must be an object, not ${String(entry)}`);
  }
  const { perms, id } = entry;
  if (!Number.isInteger(perms) || perms < 0 || perms > Perms.ALL) {
    throw new InvalidACLError(`ACL perms must be an integer from 0 to 31, not ${String(perms)}`);
  }
  if (id === null || typeof id !== "object") {
    throw new InvalidACLError("ACL entry has no id");
  }
  const { scheme, id: value } = id;
  if (typeof scheme !== "string" || scheme.length === 0) {
    throw new InvalidACLError("ACL id scheme must be a non-empty string");
  }
  if (typeof value !== "string") {
    throw new InvalidACLError(`ACL id of scheme ${scheme} must be a string`);
  }
  const reason = invalidIdReason(scheme, value);
  if (reason !== undefined) {
    throw new InvalidACLError(`invalid ACL id ${scheme}:${value} (${reason})`);
  }
}

function invalidIdReason(scheme: string, id: string): string | undefined {
  switch (scheme) {
    case "world":
      // The server accepts world only as world:anyone; there is no "world" provider for others.
      return id === "anyone" ? undefined : "the world scheme's only id is anyone";
    case "digest":
      return javaSplitCount(id, ":") === 2 ? undefined : "expected user:base64digest";
    case "ip":
      return isValidIpId(id) ? undefined : "expected an IP address with an optional /bits";
    default:
      return undefined;
  }
}

/** How many parts Java's `String.split(sep)` yields: trailing empty parts are dropped. */
function javaSplitCount(s: string, separator: string): number {
  const parts = s.split(separator);
  let n = parts.length;
  while (n > 1 && parts[n - 1] === "") n--;
  return n === 1 && parts[0] === "" && s.length > 0 ? 0 : n;
}

/** `Integer.parseInt` in the given radix, or undefined where Java throws. */
function javaParseInt(s: string, hex: boolean): number | undefined {
  if (!(hex ? /^[+-]?[0-9a-fA-F]+$/ : /^[+-]?[0-9]+$/).test(s)) return undefined;
  const value = parseInt(s, hex ? 16 : 10);
  return value >= -0x80000000 && value <= 0x7fffffff ? value : undefined;
}

/** Mirrors `IPAuthenticationProvider.isValid`: an address, optionally `/bits`. */
function isValidIpId(id: string): boolean {
  const slash = id.indexOf("/");
  const address = slash < 0 ? id : id.slice(0, slash);
  const size = address.includes(":") ? ipv6Length(address) : ipv4Length(address);
  if (size === undefined) return false;
  if (slash < 0) return true;
  const bits = javaParseInt(id.slice(slash + 1), false);
  return bits !== undefined && bits >= 0 && bits <= size * 8;
}

function ipv4Length(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  for (const part of parts) {
    const value = javaParseInt(part, false);
    if (value === undefined || value < 0 || value > 255) return undefined;
  }
  return 4;
}

function ipv6Length(address: string): number | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
  const count = groups[0].length + (groups[1]?.length ?? 0);
  if (halves.length === 1 ? count !== 8 : count >= 8) return undefined;
  for (const group of groups.flat()) {
    if (group.length === 0 || group.length > 4 || javaParseInt(group, true) === undefined) {
      return undefined;
    }
  }
  return 16;
}

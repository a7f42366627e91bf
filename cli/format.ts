/**
 * How values look: plain text for people on a terminal, JSON for scripts.
 * Zxids and session ids are hex strings (`"0x1a"`) in both, as zkCli shows
 * them; data is UTF-8 text when it is valid UTF-8 and base64 otherwise.
 *
 * @module
 */

import type { ACL, Stat } from "../lib/types.ts";

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Node data as JSON: text when it is UTF-8, base64 otherwise. */
export interface EncodedData {
  /** The data, as `encoding` says. */
  data: string;
  /** `"utf8"` or `"base64"`. */
  encoding: "utf8" | "base64";
}

/**
 * `bytes` as {@linkcode EncodedData}.
 *
 * @example
 * ```ts
 * import { encodeData } from "./format.ts";
 * encodeData(new Uint8Array([104, 105])); // { data: "hi", encoding: "utf8" }
 * ```
 */
export function encodeData(bytes: Uint8Array): EncodedData {
  try {
    return { data: strictDecoder.decode(bytes), encoding: "utf8" };
  } catch {
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return { data: btoa(binary), encoding: "base64" };
  }
}

/**
 * The bytes {@linkcode encodeData} encoded.
 *
 * @example
 * ```ts
 * import { decodeData } from "./format.ts";
 * decodeData({ data: "aGk=", encoding: "base64" }); // bytes of "hi"
 * ```
 */
export function decodeData(encoded: EncodedData): Uint8Array {
  if (encoded.encoding === "base64") {
    return Uint8Array.from(atob(encoded.data), (c) => c.charCodeAt(0));
  }
  return new TextEncoder().encode(encoded.data);
}

/**
 * A bigint as zkCli writes zxids: `0x` and hex (two's complement for negatives).
 *
 * @example
 * ```ts
 * import { hex } from "./format.ts";
 * hex(26n); // "0x1a"
 * ```
 */
export function hex(value: bigint): string {
  return "0x" + BigInt.asUintN(64, value).toString(16);
}

/** A {@linkcode Stat} fit for JSON. */
export type StatJson = Record<keyof Stat, string | number>;

/**
 * `stat` with its bigints as hex strings.
 *
 * @example
 * ```ts
 * import type { Stat } from "@zk/client";
 * import { statToJson } from "./format.ts";
 * declare const stat: Stat;
 * JSON.stringify(statToJson(stat));
 * ```
 */
export function statToJson(stat: Stat): StatJson {
  const out = {} as StatJson;
  for (const [key, value] of Object.entries(stat) as [keyof Stat, bigint | number][]) {
    out[key] = typeof value === "bigint" ? hex(value) : value;
  }
  return out;
}

/**
 * `stat` as zkCli prints it: one `name = value` line per field, times as dates.
 *
 * @example
 * ```ts
 * import type { Stat } from "@zk/client";
 * import { formatStat } from "./format.ts";
 * declare const stat: Stat;
 * console.log(formatStat(stat));
 * ```
 */
export function formatStat(stat: Stat): string {
  const lines = [
    `cZxid = ${hex(stat.czxid)}`,
    `ctime = ${new Date(stat.ctime).toISOString()}`,
    `mZxid = ${hex(stat.mzxid)}`,
    `mtime = ${new Date(stat.mtime).toISOString()}`,
    `pZxid = ${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
  return lines.join("\n") + "\n";
}

const PERM_LETTERS: readonly [string, number][] = [
  ["c", 4],
  ["d", 8],
  ["r", 1],
  ["w", 2],
  ["a", 16],
];

/**
 * Permission bits as zkCli's letters (`cdrwa`).
 *
 * @example
 * ```ts
 * import { permsToLetters } from "./format.ts";
 * permsToLetters(31); // "cdrwa"
 * ```
 */
export function permsToLetters(perms: number): string {
  return PERM_LETTERS.filter(([, bit]) => perms & bit).map(([letter]) => letter).join("");
}

/**
 * zkCli's letters as permission bits; `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { lettersToPerms } from "./format.ts";
 * lettersToPerms("rw"); // 3
 * ```
 */
export function lettersToPerms(letters: string): number | undefined {
  let perms = 0;
  for (const letter of letters) {
    const entry = PERM_LETTERS.find(([l]) => l === letter);
    if (!entry) return undefined;
    perms |= entry[1];
  }
  return perms;
}

/** An ACL entry as JSON and as text (`world:anyone:cdrwa`). */
export interface AclJson {
  /** The scheme. */
  scheme: string;
  /** The id within the scheme. */
  id: string;
  /** The permissions as letters. */
  perms: string;
}

/**
 * `acl` as {@linkcode AclJson} entries.
 *
 * @example
 * ```ts
 * import { OPEN_ACL_UNSAFE } from "@zk/client";
 * import { aclToJson } from "./format.ts";
 * aclToJson(OPEN_ACL_UNSAFE); // [{ scheme: "world", id: "anyone", perms: "cdrwa" }]
 * ```
 */
export function aclToJson(acl: readonly ACL[]): AclJson[] {
  return acl.map((entry) => ({
    scheme: entry.id.scheme,
    id: entry.id.id,
    perms: permsToLetters(entry.perms),
  }));
}

/**
 * Rows as aligned columns, the first column padded to its widest cell.
 *
 * @example
 * ```ts
 * import { table } from "./format.ts";
 * table([["zk_version", "3.8.0"], ["zk_avg_latency", "0"]]);
 * ```
 */
export function table(rows: readonly (readonly string[])[]): string {
  const width = Math.max(0, ...rows.map((row) => row[0]?.length ?? 0));
  return rows.map((row) => [row[0].padEnd(width), ...row.slice(1)].join("  ")).join("\n") +
    (rows.length > 0 ? "\n" : "");
}

/**
 * `value` as one line of JSON, bigints as hex strings.
 *
 * @example
 * ```ts
 * import { toJson } from "./format.ts";
 * toJson({ zxid: 26n }); // '{"zxid":"0x1a"}'
 * ```
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => typeof v === "bigint" ? hex(v) : v);
}

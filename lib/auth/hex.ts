/**
 * Lower-case hex encoding, as SASL DIGEST-MD5 writes its digests (RFC 2831 `HEX()`).
 *
 * @module
 */

/**
 * `bytes` as lower-case hex, two digits per byte.
 *
 * @example
 * ```ts
 * import { encodeHex } from "./hex.ts";
 * encodeHex(new Uint8Array([0, 171, 255])); // "00abff"
 * ```
 */
export function encodeHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return s;
}

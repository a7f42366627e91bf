/**
 * Standard base64 (RFC 4648 section 4, with padding) over bytes.
 *
 * `btoa`/`atob` work on "binary strings" and need a spread or a loop of
 * `String.fromCharCode` to get there, which breaks on large inputs (argument
 * limits) and accepts non-Latin-1 input badly. These work on bytes directly.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * `bytes` as padded standard base64.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * encodeBase64(new TextEncoder().encode("foob")); // "Zm9vYg=="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Build in chunks so a long input does not grow one string a char at a time.
  const CHUNK = 3 * 4096;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, bytes.length);
    let s = "";
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] +
        ALPHABET[n & 63];
    }
    const rest = end - i;
    if (rest === 1) {
      const n = bytes[i] << 16;
      s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + "==";
    } else if (rest === 2) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
      s += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + "=";
    }
    parts.push(s);
  }
  return parts.join("");
}

/**
 * The bytes of a standard base64 string. Padding is optional; anything else
 * outside the alphabet (whitespace included) throws a `TypeError`.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * new TextDecoder().decode(decodeBase64("Zm9vYg==")); // "foob"
 * ```
 */
export function decodeBase64(s: string): Uint8Array {
  let end = s.length;
  if (end % 4 === 0 && end > 0 && s.charCodeAt(end - 1) === 61) {
    end--;
    if (s.charCodeAt(end - 1) === 61) end--;
  }
  if (end % 4 === 1) throw new TypeError("invalid base64: bad length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) throw new TypeError(`invalid base64: unexpected character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or the text is not the canonical encoding of anything.
  if ((acc & ((1 << bits) - 1)) !== 0) throw new TypeError("invalid base64: non-zero padding bits");
  return out;
}

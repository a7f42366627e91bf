/**
 * Synchronous SHA-1 (RFC 3174), for ZooKeeper's digest ACL ids.
 *
 * `crypto.subtle.digest` is asynchronous, and building an ACL should not be:
 * `makeDigestAcl()` is called inline when a `create` request is assembled.
 * SHA-1 is used here only because ZooKeeper's `DigestAuthenticationProvider`
 * defines the digest scheme with it, not as a security choice.
 *
 * @module
 */

/**
 * The SHA-1 digest (20 bytes) of `data`.
 *
 * @example
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * sha1(new TextEncoder().encode("abc")).length; // 20
 * ```
 */
export function sha1(data: Uint8Array): Uint8Array {
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;

  const block = padMessage(data);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const w = new Uint32Array(80);

  for (let offset = 0; offset < block.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }

  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, h0);
  outView.setUint32(4, h1);
  outView.setUint32(8, h2);
  outView.setUint32(12, h3);
  outView.setUint32(16, h4);
  return out;
}

/** The message, a 1 bit, zeros, and the 64-bit big-endian bit length, in 64-byte blocks. */
function padMessage(data: Uint8Array): Uint8Array {
  const length = data.length;
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) << 6);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  // The bit length can pass 2^32, so split it rather than shift a 32-bit int.
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  return padded;
}

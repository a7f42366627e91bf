import assert from "node:assert/strict";
import { sha1 } from "../lib/auth/sha1.ts";
import { md5 } from "../lib/auth/md5.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function repeat(s: string, times: number): Uint8Array {
  return utf8(s.repeat(times));
}

/** Deterministic pseudo-random bytes, so a failure can be reproduced. */
function randomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

Deno.test("sha1 matches the RFC 3174 test vectors", () => {
  const vectors: [Uint8Array, string][] = [
    [utf8("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d"],
    [
      utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    ],
    [repeat("a", 1_000_000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"],
    [
      repeat("0123456701234567012345670123456701234567012345670123456701234567", 10),
      "dea356a2cddd90c7a7ecedc5ebb563934f460452",
    ],
    [new Uint8Array(), "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
  ];
  for (const [input, expected] of vectors) assert.equal(sha1(input).toHex(), expected);
});

Deno.test("sha1 agrees with crypto.subtle on every length around the block boundaries", async () => {
  const lengths = [...Array(200).keys(), 447, 448, 511, 512, 1000, 4095, 4096, 65537];
  for (const [n, length] of lengths.entries()) {
    const input = randomBytes(length, n + 1);
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-1", input));
    assert.deepEqual(sha1(input), expected, `length ${length}`);
  }
});

Deno.test("sha1 reads only the view it is given, not the whole underlying buffer", async () => {
  const backing = randomBytes(100, 7);
  const view = backing.subarray(13, 77);
  const expected = new Uint8Array(await crypto.subtle.digest("SHA-1", view.slice()));
  assert.deepEqual(sha1(view), expected);
});

Deno.test("md5 matches the RFC 1321 test suite", () => {
  const vectors: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [input, expected] of vectors) {
    assert.equal(md5(utf8(input)).toHex(), expected, JSON.stringify(input));
  }
});

Deno.test("md5 handles inputs that span several blocks and exact block boundaries", () => {
  // Values from `printf ... | md5sum`.
  assert.equal(md5(repeat("a", 1_000_000)).toHex(), "7707d6ae4e027c70eea2a935c2296f21");
  assert.equal(md5(repeat("a", 55)).toHex(), "ef1772b6dff9a122358552954ad0df65");
  assert.equal(md5(repeat("a", 56)).toHex(), "3b0c8ac703f828b04c6c197006d17218");
  assert.equal(md5(repeat("a", 64)).toHex(), "014842d480b571495a4a0363793f7367");
});

import assert from "node:assert/strict";
import { sha1 } from "../lib/auth/sha1.ts";
import { md5 } from "../lib/auth/md5.ts";
import { decodeBase64, encodeBase64 } from "../lib/auth/base64.ts";
import { encodeHex } from "../lib/auth/hex.ts";

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
  for (const [input, expected] of vectors) assert.equal(encodeHex(sha1(input)), expected);
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
    assert.equal(encodeHex(md5(utf8(input))), expected, JSON.stringify(input));
  }
});

Deno.test("md5 handles inputs that span several blocks and exact block boundaries", () => {
  // Values from `printf ... | md5sum`.
  assert.equal(encodeHex(md5(repeat("a", 1_000_000))), "7707d6ae4e027c70eea2a935c2296f21");
  assert.equal(encodeHex(md5(repeat("a", 55))), "ef1772b6dff9a122358552954ad0df65");
  assert.equal(encodeHex(md5(repeat("a", 56))), "3b0c8ac703f828b04c6c197006d17218");
  assert.equal(encodeHex(md5(repeat("a", 64))), "014842d480b571495a4a0363793f7367");
});

Deno.test("base64 matches RFC 4648's examples both ways", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  for (const [plain, encoded] of vectors) {
    assert.equal(encodeBase64(utf8(plain)), encoded);
    assert.deepEqual(decodeBase64(encoded), utf8(plain));
  }
});

Deno.test("base64 round-trips every byte value and large inputs that btoa spreads choke on", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(decodeBase64(encodeBase64(all)), all);
  const big = randomBytes(3_000_001, 99);
  const encoded = encodeBase64(big);
  assert.equal(encoded.length, 4 * Math.ceil(big.length / 3));
  assert.deepEqual(decodeBase64(encoded), big);
  // Cross-check the chunked encoder against btoa on a size that crosses chunk boundaries.
  const mid = randomBytes(40_000, 5);
  let binary = "";
  for (const b of mid) binary += String.fromCharCode(b);
  assert.equal(encodeBase64(mid), btoa(binary));
});

Deno.test("decodeBase64 accepts missing padding and rejects anything that is not base64", () => {
  assert.deepEqual(decodeBase64("Zm9vYg"), utf8("foob"));
  for (const bad of ["Zm9vY", "Zm9v Yg==", "Zm9vYg=", "Zm9vYh==", "Zm-_", "====", "Zm9v\u00e9"]) {
    assert.throws(() => decodeBase64(bad), TypeError, JSON.stringify(bad));
  }
});

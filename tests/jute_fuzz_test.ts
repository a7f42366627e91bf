/**
 * Hostile input: random bytes, truncated and corrupted golden vectors fed to
 * every decoder. A decoder may return a value or throw `MarshallingError`;
 * any other error (RangeError, TypeError, ...) or a hang is a bug.
 */

import { defaultVectorsFile, EXTRA_VECTORS_FILE } from "./fixtures/vectors.ts";
import assert from "node:assert/strict";
import { MarshallingError } from "../lib/errors.ts";
import { JuteReader, recordCodecs } from "../lib/jute/mod.ts";
import { fromHex, toHex } from "./bytes.ts";
// A seeded PRNG, so a failure reproduces (the chaos runner's, for one home).
import { seededRandom } from "../chaos/random.ts";

const SEED = Number(Deno.env.get("JUTE_FUZZ_SEED") ?? 0x5eed);

/** Decodes `bytes` with `name`'s decoder; true if it returned, false if it threw MarshallingError. */
function decodes(name: string, bytes: Uint8Array): boolean {
  const codec = recordCodecs.get(name)!;
  try {
    const r = new JuteReader(bytes);
    codec.read(r);
    r.expectEnd();
    return true;
  } catch (e) {
    if (e instanceof MarshallingError) return false;
    throw new Error(`${name} threw ${e} on ${toHex(bytes)}`, { cause: e });
  }
}

async function vectors(): Promise<{ record: string; bytes: Uint8Array }[]> {
  const out = [];
  for (const file of [defaultVectorsFile(), EXTRA_VECTORS_FILE]) {
    for (const line of (await Deno.readTextFile(file)).split("\n")) {
      if (line.trim() === "") continue;
      const { record, hex } = JSON.parse(line);
      out.push({ record, bytes: fromHex(hex) });
    }
  }
  return out;
}

/** Records whose decoders accept a shorter input: their last field is optional. */
const OPTIONAL_TAIL = new Set(["ConnectRequest", "ConnectResponse", "WatcherEvent"]);

/**
 * Random bytes skewed towards what reaches deep into a decoder: zeros, -1,
 * small lengths, the bytes of huge lengths.
 */
function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const pick = next();
    out[i] = pick < 0.4
      ? 0
      : pick < 0.55
      ? 0xff
      : pick < 0.7
      ? (next() * 8) | 0
      : pick < 0.75
      ? 0x7f
      : (next() * 256) | 0;
  }
  return out;
}

Deno.test("every decoder turns random bytes into a value or a MarshallingError", () => {
  const next = seededRandom(SEED);
  for (const name of recordCodecs.keys()) {
    for (let i = 0; i < 3000; i++) decodes(name, randomBytes(next, (next() * 96) | 0));
  }
});

Deno.test("every truncation of every vector is a MarshallingError for its decoder", async () => {
  let count = 0;
  for (const { record, bytes } of await vectors()) {
    assert.ok(decodes(record, bytes), `${record} ${toHex(bytes)} should decode`);
    for (let n = 0; n < bytes.length; n++) {
      const ok = decodes(record, bytes.subarray(0, n));
      if (ok) {
        // Only the optional trailing field may go missing.
        assert.ok(
          OPTIONAL_TAIL.has(record),
          `${record} decoded from ${n} of ${bytes.length} bytes`,
        );
        assert.ok(bytes.length - n === 1 || bytes.length - n === 8, `${record} at ${n}`);
      }
      count++;
    }
  }
  assert.ok(count > 10_000, `only ${count} truncations`);
});

Deno.test("every decoder survives every other record's bytes, whole and truncated", async () => {
  const next = seededRandom(SEED + 1);
  const all = await vectors();
  for (const name of recordCodecs.keys()) {
    for (const { bytes } of all) {
      decodes(name, bytes);
      decodes(name, bytes.subarray(0, (next() * bytes.length) | 0));
    }
  }
});

Deno.test("corrupted vectors decode or throw MarshallingError", async () => {
  const next = seededRandom(SEED + 2);
  const interesting = [0x00, 0x7f, 0x80, 0xff, 0xed, 0xf0, 0xc0];
  for (const { record, bytes } of await vectors()) {
    for (let i = 0; i < 40; i++) {
      const copy = bytes.slice();
      const flips = 1 + ((next() * 3) | 0);
      for (let f = 0; f < flips && copy.length > 0; f++) {
        const at = (next() * copy.length) | 0;
        copy[at] = next() < 0.5
          ? interesting[(next() * interesting.length) | 0]
          : (next() * 256) | 0;
      }
      decodes(record, copy);
      // And with a corrupt length or count: the largest int, at a random 4-byte boundary.
      const at = ((next() * (copy.length / 4)) | 0) * 4;
      if (at + 4 <= copy.length) {
        copy.set([0x7f, 0xff, 0xff, 0xff], at);
        decodes(record, copy);
      }
    }
  }
});

Deno.test("a huge vector count is refused before anything is allocated", () => {
  const bytes = new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  for (const name of ["GetChildrenResponse", "GetEphemeralsResponse", "WhoAmIResponse"]) {
    const started = performance.now();
    assert.throws(() => recordCodecs.get(name)!.read(new JuteReader(bytes)), MarshallingError);
    assert.ok(performance.now() - started < 500, `${name} took too long to refuse`);
  }
  // Each ACL takes at least 12 bytes: a count of 2 cannot fit in 20 bytes.
  const acl = new Uint8Array(4 + 20);
  acl[3] = 2;
  assert.throws(() => recordCodecs.get("GetACLResponse")!.read(new JuteReader(acl)), /cannot fit/);
});

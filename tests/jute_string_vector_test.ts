/**
 * The reader's fast path for vectors of strings (children lists): whatever
 * the bytes, `stringVector()` gives what reading the count and then each
 * string on its own gives, value or error, and leaves the cursor at the same
 * place. Edges: the ASCII boundary (0x7f, 0x80), empty strings, strings that
 * end the frame or the buffer, lengths that run past the frame, and what
 * follows the vector (a Stat, more ASCII, the next frame's bytes).
 */

import assert from "node:assert/strict";
import { MarshallingError } from "../lib/errors.ts";
import {
  JuteReader,
  JuteWriter,
  type MultiResult,
  readGetChildren2Response,
  readGetChildrenResponse,
  readMultiResponse,
  type StatRecord,
  writeGetChildren2Response,
  writeMultiResponse,
  writeStat,
} from "../lib/jute/mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { seededRandom } from "../chaos/random.ts";
import { toHex } from "./bytes.ts";

type Outcome =
  | { value: (string | null)[] | null; offset: number }
  | { error: string };

/** A count below -1, or too large for the bytes left (each string takes 4 at least). */
const COUNT_REFUSED = "count refused";

/** `stringVector()` on `bytes[start, end)`, as a value and where it stopped, or its error. */
function vectorRead(bytes: Uint8Array, start: number, end: number): Outcome {
  const r = new JuteReader(bytes, start, end);
  try {
    return { value: r.stringVector(), offset: r.offset };
  } catch (e) {
    if (!(e instanceof MarshallingError)) throw e;
    return { error: /vector count|cannot fit/.test(e.message) ? COUNT_REFUSED : e.message };
  }
}

/** The reference: the count as an int, then each string read on its own. */
function oneByOne(bytes: Uint8Array, start: number, end: number): Outcome {
  const r = new JuteReader(bytes, start, end);
  try {
    const n = r.int();
    if (n < -1 || n * 4 > r.remaining) return { error: COUNT_REFUSED };
    if (n === -1) return { value: null, offset: r.offset };
    const out: (string | null)[] = [];
    for (let i = 0; i < n; i++) out.push(r.string());
    return { value: out, offset: r.offset };
  } catch (e) {
    if (e instanceof MarshallingError) return { error: e.message };
    throw e;
  }
}

function assertSame(bytes: Uint8Array, start = 0, end = bytes.length): Outcome {
  const got = vectorRead(bytes, start, end);
  assert.deepStrictEqual(
    got,
    oneByOne(bytes, start, end),
    `[${start}, ${end}) of ${toHex(bytes)}`,
  );
  return got;
}

/** A jute vector of raw byte strings (a length of its own where `lengths` says). */
function vectorBytes(items: (Uint8Array | number)[], tail: number[] = []): Uint8Array {
  const parts: number[] = [];
  const int = (n: number) =>
    parts.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  int(items.length);
  for (const item of items) {
    if (typeof item === "number") int(item); // a bare length, no bytes after it
    else {
      int(item.length);
      parts.push(...item);
    }
  }
  parts.push(...tail);
  return new Uint8Array(parts);
}

const ascii = (s: string) => new TextEncoder().encode(s);
const names = ["lock-0000000001", "lock-0000000002", "lock-0000000003", "lock-0000000004"].map(
  ascii,
);

Deno.test("the ASCII boundary: 0x7f stays one unit, 0x80 is U+FFFD, in any place", () => {
  for (const byte of [0x00, 0x7e, 0x7f, 0x80, 0x81, 0xc2, 0xed, 0xff]) {
    for (const at of ["first", "middle", "last"]) {
      const items = names.map((n) => n.slice());
      const target = at === "first" ? 0 : at === "middle" ? 1 : 3;
      const index = at === "last" ? items[target].length - 1 : at === "first" ? 0 : 7;
      items[target][index] = byte;
      const got = assertSame(vectorBytes(items));
      assert.ok("value" in got && got.value !== null);
      const expected = byte < 0x80 ? String.fromCharCode(byte) : "\ufffd";
      assert.equal(got.value[target]![index], expected);
    }
  }
});

Deno.test("empty strings, alone or among others, and a vector of only empty strings", () => {
  const empty = new Uint8Array(0);
  for (
    const items of [
      [empty, empty, empty, empty],
      [empty, ...names],
      [...names, empty],
      [names[0], empty, names[1], empty, names[2]],
    ]
  ) {
    const got = assertSame(vectorBytes(items));
    assert.ok("value" in got);
    assert.deepStrictEqual(got.value, items.map((b) => new TextDecoder().decode(b)));
  }
});

Deno.test("a vector that ends the buffer, or the frame inside a longer buffer", () => {
  const bytes = vectorBytes(names);
  assert.deepStrictEqual(assertSame(bytes), {
    value: names.map((b) => new TextDecoder().decode(b)),
    offset: bytes.length,
  });
  assert.deepStrictEqual(readGetChildrenResponse(new JuteReader(bytes)), {
    children: names.map((b) => new TextDecoder().decode(b)),
  });
  // The same frame followed by bytes of the next one, ASCII or not: never read.
  for (const next of [[0x41, 0x42], [0x80, 0xff], [0, 0, 0, 5, 0x61]]) {
    const longer = new Uint8Array([...bytes, ...next]);
    assert.deepStrictEqual(vectorRead(longer, 0, bytes.length), vectorRead(bytes, 0, bytes.length));
    assertSame(longer, 0, bytes.length);
    // A frame that cuts the last string short is an error, not a read past it.
    const cut = assertSame(longer, 0, bytes.length - 1);
    assert.match("error" in cut ? cut.error : "", /runs past the frame/);
  }
  // A frame that starts inside the buffer.
  const shifted = new Uint8Array([0xff, 0x41, ...bytes]);
  assert.deepStrictEqual(assertSame(shifted, 2), {
    ...vectorRead(bytes, 0, bytes.length),
    offset: shifted.length,
  });
});

Deno.test("a length past the end is today's MarshallingError, even when its bytes are ASCII", () => {
  // 0x7f7f7f7f: a length whose four bytes are ASCII, so the whole frame is.
  for (const bad of [0x7f7f7f7f, 0x41414141, 16, 17, 0x80, -2, -0x7f7f7f7f]) {
    for (const at of [0, 2, 4]) {
      const items: (Uint8Array | number)[] = [...names, names[0]];
      items.splice(at, 1, bad);
      const got = assertSame(vectorBytes(items, [0x41, 0x42, 0x43]));
      assert.ok("error" in got, `length ${bad} at ${at} should fail`);
      assert.match(got.error, bad < -1 ? /negative length/ : /runs past the frame/);
    }
  }
  // A count whose strings cannot fit, and a count of -1.
  assert.throws(
    () => new JuteReader(vectorBytes(names).subarray(0, 19)).stringVector(),
    /cannot fit/,
  );
  assert.match(
    (assertSame(vectorBytes(names).subarray(0, 20)) as { error: string }).error,
    /runs past/,
  );
  assert.deepStrictEqual(assertSame(new Uint8Array([0xff, 0xff, 0xff, 0xff])), {
    value: null,
    offset: 4,
  });
});

Deno.test("null strings in a vector read back as null", () => {
  const got = assertSame(vectorBytes([names[0], -1, names[1], names[2], -1]));
  assert.deepStrictEqual("value" in got && got.value, [
    "lock-0000000001",
    null,
    "lock-0000000002",
    "lock-0000000003",
    null,
  ]);
});

const asciiStat: StatRecord = {
  czxid: 0x41n,
  mzxid: 0x42n,
  ctime: 0x43n,
  mtime: 0x44n,
  version: 1,
  cversion: 2,
  aversion: 3,
  ephemeralOwner: 0n,
  dataLength: 5,
  numChildren: 4,
  pzxid: 0x7fn,
};

Deno.test("a vector followed by a Stat: all ASCII, ending in ASCII, or not", () => {
  const children = names.map((b) => new TextDecoder().decode(b));
  for (
    const stat of [
      asciiStat, // every byte of the frame is ASCII
      { ...asciiStat, ctime: 0x80n }, // one byte is not, the last one is
      { ...asciiStat, pzxid: 0x1000000f4n }, // the last byte is not
    ]
  ) {
    const w = new JuteWriter();
    writeGetChildren2Response(w, { children, stat });
    const bytes = w.take();
    const r = new JuteReader(bytes);
    assert.deepStrictEqual(readGetChildren2Response(r), { children, stat });
    r.expectEnd();
    const vectorEnd = bytes.length - 68;
    assert.deepStrictEqual(assertSame(bytes), { value: children, offset: vectorEnd });
    const statBytes = new JuteWriter();
    writeStat(statBytes, stat);
    assert.deepStrictEqual(bytes.subarray(vectorEnd), statBytes.take());
  }
});

Deno.test("a short vector followed by a long ASCII rest reads the same", () => {
  // Past what the path that decodes the whole rest takes on (64 bytes a string).
  for (const rest of [10, 255, 256, 257, 4096]) {
    assertSame(vectorBytes(names, Array.from({ length: rest }, (_, i) => 0x20 + (i % 95))));
  }
});

Deno.test("several children lists in one multi response decode in order", () => {
  const results: MultiResult[] = [
    { type: 8, children: ["a", "b", "c", "d"] },
    { type: 8, children: ["é", "b", "c", "d", "e"] },
    { type: 8, children: [] },
    { type: 8, children: ["x".repeat(300), "y", "z", "w"] },
  ];
  const w = new JuteWriter();
  writeMultiResponse(w, results);
  assert.deepStrictEqual(readMultiResponse(new JuteReader(w.take())), results);
});

Deno.test("random vectors near the ASCII boundary read as string by string does", () => {
  const next = seededRandom(0xc0dec);
  const byte = () => {
    const pick = next();
    return pick < 0.7
      ? 0x20 + ((next() * 95) | 0)
      : pick < 0.8
      ? 0x7f
      : pick < 0.9
      ? 0x80
      : (next() * 256) | 0;
  };
  for (let round = 0; round < 4000; round++) {
    const count = 4 + ((next() * 8) | 0);
    const items: (Uint8Array | number)[] = [];
    for (let i = 0; i < count; i++) {
      const pick = next();
      if (pick < 0.03) items.push(-1);
      else if (pick < 0.05) items.push((next() * 0x7fffffff) | 0);
      else {
        const len = next() < 0.1 ? 0 : (next() * 24) | 0;
        items.push(Uint8Array.from({ length: len }, byte));
      }
    }
    const tail = Array.from({ length: (next() * 80) | 0 }, byte);
    const bytes = vectorBytes(items, tail);
    assertSame(bytes);
    const end = (next() * (bytes.length + 1)) | 0;
    assertSame(bytes, 0, end);
  }
});

const fixture = clusterFixture({ freePorts: true });

Deno.test("a server's children lists, ASCII and not, with and without a Stat", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/dir", "");
  // Characters the server accepts in a name: no controls, 0x7f-0x9f or surrogates.
  const names = [
    ...Array.from({ length: 100 }, (_, i) => `lock-${String(i).padStart(10, "0")}`),
    "~",
    "a".repeat(200),
  ];
  for (const name of names) await zk.create(`/dir/${name}`, "");
  const sorted = (list: string[]) => [...list].sort();
  assert.deepStrictEqual(sorted(await zk.getChildren("/dir")), sorted(names));
  const withStat = await zk.getChildren("/dir", { includeStat: true });
  assert.deepStrictEqual(sorted(withStat.children), sorted(names));
  assert.equal(withStat.stat.numChildren, names.length);

  for (const name of ["é", "ü-1", "日本"]) await zk.create(`/dir/${name}`, "");
  const all = [...names, "é", "ü-1", "日本"];
  assert.deepStrictEqual(sorted(await zk.getChildren("/dir")), sorted(all));
  const again = await zk.getChildren("/dir", { includeStat: true });
  assert.deepStrictEqual(sorted(again.children), sorted(all));
  assert.equal(again.stat.numChildren, all.length);
});

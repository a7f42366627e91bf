/**
 * The jute primitives and the records' edge cases: nulls, CESU-8 strings,
 * optional trailing fields, frames, and the reader's bounds.
 */

import assert from "node:assert/strict";
import { MarshallingError } from "../lib/errors.ts";
import {
  JuteReader,
  JuteWriter,
  OpCode,
  readConnectRequest,
  readConnectResponse,
  readCreateRequest,
  readGetChildrenResponse,
  readGetDataResponse,
  readMultiResponse,
  readReplyHeader,
  readWatcherEvent,
  writeConnectRequest,
  writeConnectResponse,
  writeCreateRequest,
  writeGetDataResponse,
  writeMultiRequest,
  writeMultiResponse,
  writeReplyHeader,
  writeRequestHeader,
  writeWatcherEvent,
} from "../lib/jute/mod.ts";
import { fromHex, toHex } from "./bytes.ts";

function written(write: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter(16);
  write(w);
  return w.take();
}

/** A seeded linear congruential generator in [0, 1), so a failure reproduces. */
function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

const stat = {
  czxid: 1n,
  mzxid: 2n,
  ctime: 1_700_000_000_000n,
  mtime: 1_700_000_000_001n,
  version: 3,
  cversion: 4,
  aversion: 5,
  ephemeralOwner: 0n,
  dataLength: 6,
  numChildren: 7,
  pzxid: 8n,
};

Deno.test("null strings, buffers and vectors are written as -1 and read back as null", () => {
  const bytes = written((w) => {
    w.string(null);
    w.buffer(null);
    w.stringVector(null);
    w.vector(null, (w, n: number) => w.int(n));
  });
  assert.equal(toHex(bytes), "ffffffff".repeat(4));
  const r = new JuteReader(bytes);
  assert.equal(r.string(), null);
  assert.equal(r.buffer(), null);
  assert.equal(r.stringVector(), null);
  assert.equal(r.vector((r) => r.int()), null);
  r.expectEnd();
});

Deno.test("empty strings, buffers and vectors stay empty, not null", () => {
  const bytes = written((w) => {
    w.string("");
    w.buffer(new Uint8Array());
    w.stringVector([]);
  });
  assert.equal(toHex(bytes), "00000000".repeat(3));
  const r = new JuteReader(bytes);
  assert.equal(r.string(), "");
  assert.deepEqual(r.buffer(), new Uint8Array());
  assert.deepEqual(r.stringVector(), []);
});

Deno.test("a record with null fields round-trips them exactly", () => {
  const create = { path: null, data: null, acl: null, flags: 0 } as unknown as Parameters<
    typeof writeCreateRequest
  >[1];
  const bytes = written((w) => writeCreateRequest(w, create));
  assert.deepStrictEqual(readCreateRequest(new JuteReader(bytes)), create);
});

Deno.test("characters outside the BMP are written as CESU-8, as Java's jute does", () => {
  assert.equal(toHex(written((w) => w.string("😀"))), "00000006eda0bdedb880");
  assert.equal(toHex(written((w) => w.string("aé€"))), "0000000661c3a9e282ac");
});

Deno.test("strings in CESU-8 and in four-byte UTF-8 both decode", () => {
  assert.equal(new JuteReader(fromHex("00000006eda0bdedb880")).string(), "😀");
  assert.equal(new JuteReader(fromHex("00000004f09f9880")).string(), "😀");
  const long = "x".repeat(100);
  const hexLong = toHex(new TextEncoder().encode(long));
  assert.equal(new JuteReader(fromHex(`00000068${hexLong}f09f9880`)).string(), `${long}😀`);
  assert.equal(new JuteReader(fromHex(`0000006a${hexLong}eda0bdedb880`)).string(), `${long}😀`);
});

Deno.test("any UTF-16 string round-trips, lone surrogates included", () => {
  const next = lcg(7);
  for (let i = 0; i < 2000; i++) {
    const length = (next() * (i % 2 ? 20 : 200)) | 0;
    const units = Array.from({ length }, () => {
      const p = next();
      return p < 0.5
        ? (next() * 0x80) | 0
        : p < 0.7
        ? (next() * 0x800) | 0
        : p < 0.85
        ? 0xd800 + ((next() * 0x800) | 0)
        : (next() * 0x10000) | 0;
    });
    const s = String.fromCharCode(...units);
    assert.equal(new JuteReader(written((w) => w.string(s))).string(), s);
  }
});

Deno.test("a leading U+FEFF is part of the string, short or long", () => {
  for (const s of ["\ufeffx", `\ufeff${"x".repeat(60)}`, `\ufeff${"é".repeat(40)}`]) {
    assert.equal(new JuteReader(written((w) => w.string(s))).string(), s);
    const list = new JuteReader(written((w) => w.stringVector([s, s]))).stringVector();
    assert.deepEqual(list, [s, s]);
  }
});

Deno.test("malformed UTF-8 decodes to U+FFFD as TextDecoder does", () => {
  const decoder = new TextDecoder();
  const next = lcg(11);
  const interesting = [0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x41];
  for (let i = 0; i < 5000; i++) {
    // No 0xED byte: that is where CESU-8 and WHATWG UTF-8 differ on purpose.
    const bytes = Array.from(
      { length: (next() * 60) | 0 },
      () => next() < 0.6 ? interesting[(next() * interesting.length) | 0] : (next() * 256) | 0,
    )
      .filter((b) => b !== 0xed);
    const frame = new Uint8Array([0, 0, 0, bytes.length, ...bytes]);
    assert.equal(new JuteReader(frame).string(), decoder.decode(new Uint8Array(bytes)));
  }
});

Deno.test("ints, longs, bools and bytes are big-endian and wrap like Java's", () => {
  const bytes = written((w) => {
    w.int(-2);
    w.int(0x7fffffff);
    w.long(-1n);
    w.long(2n ** 63n); // wraps to Long.MIN_VALUE
    w.bool(true);
    w.bool(false);
    w.byte(-1);
  });
  assert.equal(
    toHex(bytes),
    "fffffffe7fffffffffffffffffffffff8000000000000000" + "0100ff",
  );
  const r = new JuteReader(bytes);
  assert.deepEqual([r.int(), r.int(), r.long(), r.long()], [-2, 0x7fffffff, -1n, -(2n ** 63n)]);
  assert.deepEqual([r.bool(), r.bool(), r.byte()], [true, false, -1]);
  r.expectEnd();
});

Deno.test("longNumber reads a long as a number, exact within ±2^53, as long() would", () => {
  const values = [0n, 1n, -1n, 1_700_000_000_000n, -1_700_000_000_123n, 2n ** 32n, 2n ** 32n - 1n];
  values.push(-(2n ** 32n), 2n ** 53n - 1n, -(2n ** 53n) + 1n, 0x12345678_9abcdefn);
  const bytes = written((w) => values.forEach((v) => w.long(v)));
  const asBigint = new JuteReader(bytes);
  const asNumber = new JuteReader(bytes);
  for (const v of values) {
    assert.equal(asNumber.longNumber(), Number(v));
    assert.equal(asBigint.long(), v);
  }
  asNumber.expectEnd();
  assert.throws(() => new JuteReader(new Uint8Array(7)).longNumber(), MarshallingError);
});

Deno.test("a frame's length prefix counts the bytes after it", () => {
  const w = new JuteWriter(8);
  w.int(99); // something before the frame
  const frame = w.beginFrame();
  writeRequestHeader(w, { xid: 1, type: OpCode.getData });
  w.string("/a");
  w.bool(true);
  assert.equal(w.endFrame(frame), 15);
  assert.equal(toHex(w.bytes()), "00000063" + "0000000f" + "0000000100000004000000022f6101");
  assert.equal(w.length, 23);
});

Deno.test("a frame of several MiB grows the buffer and reads back whole", () => {
  const data = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => i * 31);
  const w = new JuteWriter(64);
  const frame = w.beginFrame();
  writeReplyHeader(w, { xid: 5, zxid: 77n, err: 0 });
  writeGetDataResponse(w, { data, stat });
  assert.equal(w.endFrame(frame), 16 + 4 + data.length + 68);
  const bytes = w.bytes();
  const r = new JuteReader(bytes, 4, 4 + new DataView(bytes.buffer).getInt32(0));
  assert.deepEqual(readReplyHeader(r), { xid: 5, zxid: 77n, err: 0 });
  const reply = readGetDataResponse(r);
  r.expectEnd();
  assert.deepEqual(reply.data, data);
  assert.deepEqual(reply.stat, stat);
  w.reset();
  assert.equal(w.length, 0);
  w.int(1);
  assert.equal(toHex(w.bytes()), "00000001");
});

Deno.test("bytes() is a view, take() a copy that resets the writer", () => {
  const w = new JuteWriter();
  w.int(1);
  const view = w.bytes();
  const copy = w.take();
  assert.equal(w.length, 0);
  w.int(2);
  assert.equal(toHex(view), "00000002");
  assert.equal(toHex(copy), "00000001");
});

Deno.test("truncate drops what was written after a point", () => {
  const w = new JuteWriter();
  w.int(1);
  const mark = w.length;
  w.string("too large");
  w.truncate(mark);
  assert.equal(toHex(w.bytes()), "00000001");
  assert.throws(() => w.truncate(5), RangeError);
});

Deno.test("buffers are decoded as views of the input, without a copy", () => {
  const bytes = fromHex("00000003010203");
  const data = new JuteReader(bytes).buffer()!;
  assert.equal(data.buffer, bytes.buffer);
  assert.equal(data.byteOffset, 4);
});

Deno.test("the handshake's read-only byte is written when set and read when present", () => {
  const request = {
    protocolVersion: 0,
    lastZxidSeen: 0n,
    timeOut: 10_000,
    sessionId: 0n,
    passwd: new Uint8Array(16),
  };
  const without = written((w) => writeConnectRequest(w, request));
  const withRo = written((w) => writeConnectRequest(w, { ...request, readOnly: true }));
  assert.equal(withRo.length, without.length + 1);
  assert.equal(withRo.at(-1), 1);
  assert.deepStrictEqual(readConnectRequest(new JuteReader(without)), request);
  assert.deepStrictEqual(readConnectRequest(new JuteReader(withRo)), {
    ...request,
    readOnly: true,
  });

  const response = { protocolVersion: 0, timeOut: 4000, sessionId: 9n, passwd: new Uint8Array(16) };
  const reply = written((w) => writeConnectResponse(w, { ...response, readOnly: false }));
  assert.deepStrictEqual(readConnectResponse(new JuteReader(reply)), {
    ...response,
    readOnly: false,
  });
  const old = written((w) => writeConnectResponse(w, response));
  assert.deepStrictEqual(readConnectResponse(new JuteReader(old)), response);
});

Deno.test("a 3.9 watch event's zxid is read when present, absent before 3.9", () => {
  const event = { type: 3, state: 3, path: "/a" };
  const old = written((w) => writeWatcherEvent(w, event));
  assert.deepStrictEqual(readWatcherEvent(new JuteReader(old)), event);
  const v39 = written((w) => writeWatcherEvent(w, { ...event, zxid: 0x100000002n }));
  assert.equal(v39.length, old.length + 8);
  assert.deepStrictEqual(readWatcherEvent(new JuteReader(v39)), { ...event, zxid: 0x100000002n });
});

Deno.test("multi bodies end with the done header and reject unknown op types", () => {
  const bytes = written((w) =>
    writeMultiRequest(w, [{ type: OpCode.check, request: { path: "/a", version: 1 } }])
  );
  assert.equal(toHex(bytes), "0000000d00ffffffff000000022f6100000001" + "ffffffff01ffffffff");
  const response = written((w) =>
    writeMultiResponse(w, [{ type: OpCode.error, err: -101 }, {
      type: OpCode.getChildren,
      children: ["x"],
    }])
  );
  assert.deepStrictEqual(readMultiResponse(new JuteReader(response)), [
    { type: -1, err: -101 },
    { type: 8, children: ["x"] },
  ]);
  const unknown = fromHex("0000000300000000000000000000");
  assert.throws(() => readMultiResponse(new JuteReader(unknown)), MarshallingError);
});

Deno.test("reading past the frame, or a bad length, is a MarshallingError", () => {
  const bytes = fromHex("0000000561626364650000ffff");
  const frame = new JuteReader(bytes, 0, 9); // the string and nothing after it
  assert.equal(frame.string(), "abcde");
  assert.equal(frame.remaining, 0);
  assert.throws(() => frame.int(), MarshallingError);
  assert.throws(() => frame.long(), MarshallingError);
  assert.throws(() => frame.bool(), MarshallingError);
  assert.throws(() => frame.byte(), MarshallingError);

  assert.throws(() => new JuteReader(bytes, 0, 8).string(), /runs past the frame/);
  assert.throws(() => new JuteReader(fromHex("fffffffe")).buffer(), /negative length/);
  assert.throws(() => new JuteReader(fromHex("fffffffe")).stringVector(), /negative vector count/);
  assert.throws(() => new JuteReader(fromHex("00000002000000")).stringVector(), /cannot fit/);
  assert.throws(() => new JuteReader(bytes, 5, 2), MarshallingError);
  assert.throws(() => new JuteReader(bytes, 0, 99), MarshallingError);
  const r = new JuteReader(fromHex("0000000100"));
  r.int();
  assert.throws(() => r.expectEnd(), /1 unexpected bytes/);
});

Deno.test("decoders stop at the frame's end even when the input goes on", () => {
  // A GetChildrenResponse frame followed by the next frame's bytes.
  const bytes = fromHex("00000001" + "00000001" + "61" + "00000001");
  const r = new JuteReader(bytes, 4, 9);
  assert.throws(() => readGetChildrenResponse(r), MarshallingError);
  assert.deepEqual(readGetChildrenResponse(new JuteReader(bytes, 0, 9)), { children: ["a"] });
});

Deno.test("string vectors decode the same whether ASCII, long, non-ASCII or with nulls", () => {
  const cases: (string | null)[][] = [
    ["a", "b", "c", "d", "e"],
    ["lock-0000000001", "", "x", "lock-0000000002"],
    ["a", "b", "c", "é"],
    ["a", "b", "c", "😀"],
    ["a", "b", "c", "\ufffd"],
    ["a", "b", null, "d"],
    ["a", "b", "c", "y".repeat(200)], // a length byte of 0xc8
    ["a", "b", "c", "z".repeat(0xc280)], // length bytes c2 80: valid UTF-8 on their own
  ];
  for (const strings of cases) {
    const bytes = written((w) => w.stringVector(strings as string[]));
    const r = new JuteReader(bytes);
    assert.deepStrictEqual(r.stringVector(), strings);
    r.expectEnd();
  }
});

Deno.test("a long non-ASCII string with surrogates decodes whole", () => {
  const s = "é😀\ud800".repeat(30_000); // 9 bytes per repeat: past any scratch buffer
  assert.equal(new JuteReader(written((w) => w.string(s))).string(), s);
});

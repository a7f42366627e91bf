/** ChunkReader: BYOB reads on byte streams into buffers of their own, a default reader elsewhere. */

import assert from "node:assert/strict";
import { ChunkReader } from "../lib/transport/chunk_reader.ts";

function byteStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) {
        // A pending BYOB read ends with a zero-byte response after close, as Deno's sockets do.
        controller.close();
        return controller.byobRequest?.respond(0);
      }
      const request = controller.byobRequest!;
      const view = request.view as Uint8Array;
      const n = Math.min(view.length, next.length);
      view.set(next.subarray(0, n));
      if (n < next.length) chunks.unshift(next.subarray(n));
      request.respond(n);
    },
  });
}

async function readAll(reader: ChunkReader): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    reader.received(value.length);
    out.push(value);
  }
}

Deno.test("on a byte stream every chunk keeps its own bytes after later reads, big chunks included", async () => {
  const sent = [
    new Uint8Array(10).fill(1),
    new Uint8Array(100_000).fill(2),
    new Uint8Array(3).fill(3),
  ];
  const chunks = await readAll(new ChunkReader(byteStream(sent.map((c) => c.slice()))));
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    joined.set(c, offset);
    offset += c.length;
  }
  assert.equal(joined.length, 100_013);
  assert.ok(joined.subarray(0, 10).every((b) => b === 1));
  assert.ok(joined.subarray(10, 100_010).every((b) => b === 2));
  assert.ok(joined.subarray(100_010).every((b) => b === 3));
  assert.notEqual(chunks[0].buffer, chunks[1].buffer);
  assert.ok(chunks.every((c) => c.buffer.byteLength <= 64 * 1024));
});

Deno.test("on a default stream chunks pass through as they are", async () => {
  const sent = [new Uint8Array([1, 2]), new Uint8Array([3])];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of sent) controller.enqueue(c);
      controller.close();
    },
  });
  const chunks = await readAll(new ChunkReader(stream));
  assert.deepEqual(chunks, sent);
  assert.equal(chunks[0], sent[0]);
});

Deno.test("cancel releases the stream", async () => {
  let cancelled = false;
  const stream = new ReadableStream({ type: "bytes", cancel: () => void (cancelled = true) });
  await new ChunkReader(stream).cancel();
  assert.ok(cancelled);
});

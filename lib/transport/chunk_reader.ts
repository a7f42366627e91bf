/**
 * The one reader of a connection's readable side. On a byte stream (Deno's
 * sockets) it reads with a BYOB reader into buffers sized to the traffic, as
 * a default reader would allocate (and zero) 64 KiB for every chunk however
 * small; on any other stream it is a default reader.
 *
 * @module
 */

const MIN_READ = 4 * 1024;
const MAX_READ = 64 * 1024;

/**
 * Reads chunks from a `ReadableStream<Uint8Array>`. Each chunk is a view of
 * a buffer of its own (never reused, so views of it stay valid).
 *
 * @example
 * ```ts
 * import { ChunkReader } from "./chunk_reader.ts"; // internal: the session reads for you
 * declare const readable: ReadableStream<Uint8Array>;
 * const reader = new ChunkReader(readable);
 * const { value, done } = await reader.read();
 * ```
 */
export class ChunkReader {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #size = 16 * 1024;

  /** Locks `readable` to this reader. */
  constructor(readable: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = readable.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream.
    }
    this.#byob = byob;
    this.#reader = byob ? undefined : readable.getReader();
  }

  /** The next chunk, as a stream reader's result (`done` at the end). */
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const byob = this.#byob;
    if (byob === undefined) return this.#reader!.read();
    return byob.read(new Uint8Array(this.#size));
  }

  /**
   * Tells the reader how many bytes the last chunk held: a full buffer
   * doubles the next one, a mostly empty one halves it.
   */
  received(length: number): void {
    const size = this.#size;
    if (length === size) {
      if (size < MAX_READ) this.#size = size * 2;
    } else if (length * 4 < size && size > MIN_READ) this.#size = size >> 1;
  }

  /** Cancels the stream; tolerates a closed one. */
  cancel(): Promise<void> {
    return (this.#byob ?? this.#reader!).cancel();
  }
}

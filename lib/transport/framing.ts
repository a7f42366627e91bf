/**
 * ZooKeeper's framing: every packet is a 4-byte big-endian length and that
 * many bytes. `FrameState` cuts arbitrary chunks into whole frames; the
 * session's read loop feeds it what the socket gives.
 *
 * @module
 */

import { MarshallingError } from "../errors.ts";

/**
 * Splits a byte stream into frames, incrementally: each `push` of a chunk
 * returns the frames it completed, as views of the chunk where they fit in it.
 * A length below zero or above `maxFrameLength` throws {@linkcode MarshallingError}.
 */
export class FrameState {
  readonly #max: number;
  #partial: Uint8Array | undefined;
  #partialLength = 0;
  #header = new Uint8Array(4);
  #headerLength = 0;

  /** `maxFrameLength` bounds the bytes of one frame, without its prefix. */
  constructor(maxFrameLength: number) {
    this.#max = maxFrameLength;
  }

  /** Bytes held of an unfinished frame. */
  get buffered(): number {
    return this.#headerLength + this.#partialLength;
  }

  /** Feeds bytes; returns the frames they complete. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    const end = chunk.length;
    // Finish a frame begun by an earlier chunk.
    if (this.#partial !== undefined || this.#headerLength > 0) {
      if (this.#partial === undefined) {
        while (this.#headerLength < 4 && offset < end) {
          this.#header[this.#headerLength++] = chunk[offset++];
        }
        if (this.#headerLength < 4) return frames;
        const h = this.#header;
        this.#partial = new Uint8Array(this.#checkLength(
          (h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3],
        ));
        this.#partialLength = 0;
      }
      const partial = this.#partial;
      const take = Math.min(partial.length - this.#partialLength, end - offset);
      partial.set(chunk.subarray(offset, offset + take), this.#partialLength);
      this.#partialLength += take;
      offset += take;
      if (this.#partialLength < partial.length) return frames;
      frames.push(partial);
      this.#partial = undefined;
      this.#partialLength = 0;
      this.#headerLength = 0;
    }
    while (end - offset >= 4) {
      const length = this.#checkLength(
        (chunk[offset] << 24) | (chunk[offset + 1] << 16) | (chunk[offset + 2] << 8) |
          chunk[offset + 3],
      );
      offset += 4;
      if (end - offset >= length) {
        frames.push(chunk.subarray(offset, offset + length));
        offset += length;
      } else {
        const partial = new Uint8Array(length);
        partial.set(chunk.subarray(offset, end));
        this.#partial = partial;
        this.#partialLength = end - offset;
        this.#headerLength = 4;
        return frames;
      }
    }
    while (offset < end) this.#header[this.#headerLength++] = chunk[offset++];
    return frames;
  }

  #checkLength(length: number): number {
    if (length < 0 || length > this.#max) {
      throw new MarshallingError(
        `frame length ${length} outside 0..${this.#max}`,
      );
    }
    return length;
  }
}

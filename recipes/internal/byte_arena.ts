/**
 * Many small byte strings kept in a few shared chunks, for TreeCache's node
 * data: a `Uint8Array` of its own costs a node about 150 bytes of heap (the
 * view and its `ArrayBuffer`) on top of its data, more than the data of a
 * typical node.
 *
 * Bytes are only ever appended, never written over: a view handed out keeps
 * showing the same bytes for as long as it lives (it also keeps its chunk
 * alive, at most {@linkcode ARENA_CHUNK} bytes). Freed bytes are counted; the
 * owner compacts (copies what is live into a new arena) when
 * {@linkcode ByteArena.wasteful} says so.
 *
 * @module
 */

/** Bytes per shared chunk. */
export const ARENA_CHUNK = 16 * 1024;
/** Longer strings get a chunk of their own, of their exact size. */
const OWN_CHUNK_OVER = 1024;
/** Waste below this is never worth a compaction. */
const WASTE_FLOOR = 1024 * 1024;
const EMPTY = new Uint8Array(0);

/** Append-only storage of byte strings, addressed by (chunk, offset) pairs. */
export class ByteArena {
  #chunks: (Uint8Array | undefined)[] = [];
  /** Live bytes per chunk. */
  #live: number[] = [];
  /** Chunk indices whose chunk was dropped, for reuse. */
  #freeIndices: number[] = [];
  /** The shared chunk being filled, or -1. */
  #current = -1;
  #used = 0;
  /** Bytes held in chunks (the current one counted up to `#used`). */
  #held = 0;
  #liveTotal = 0;

  /**
   * Stores a copy of `bytes`; writes its chunk at `location[at]` and its
   * offset at `location[at + 1]` (chunk -1 for no bytes).
   */
  put(bytes: Uint8Array, location: Int32Array, at: number): void {
    const length = bytes.byteLength;
    if (length === 0) {
      location[at] = -1;
      location[at + 1] = 0;
      return;
    }
    let chunk: number;
    let offset: number;
    if (length > OWN_CHUNK_OVER) {
      chunk = this.#newChunk(bytes.slice());
      offset = 0;
    } else {
      if (this.#current < 0 || this.#used + length > ARENA_CHUNK) {
        // The full chunk's unused tail is held for nothing from now on.
        if (this.#current >= 0) this.#held += ARENA_CHUNK - this.#used;
        this.#current = this.#newChunk(new Uint8Array(ARENA_CHUNK));
        this.#used = 0;
      }
      chunk = this.#current;
      offset = this.#used;
      this.#chunks[chunk]!.set(bytes, offset);
      this.#used += length;
    }
    this.#live[chunk] += length;
    this.#held += length;
    this.#liveTotal += length;
    location[at] = chunk;
    location[at + 1] = offset;
  }

  /** A view of `length` bytes stored at (`chunk`, `offset`). */
  view(chunk: number, offset: number, length: number): Uint8Array {
    return chunk < 0 ? EMPTY : this.#chunks[chunk]!.subarray(offset, offset + length);
  }

  /** Forgets `length` bytes stored in `chunk`; a chunk left with none is dropped. */
  free(chunk: number, length: number): void {
    if (chunk < 0) return;
    this.#liveTotal -= length;
    const live = (this.#live[chunk] -= length);
    if (live > 0) return;
    if (chunk === this.#current) {
      // Restart the chunk's fill: views of its old bytes keep the old array.
      this.#held -= this.#used;
      this.#current = -1;
    } else {
      this.#held -= this.#chunks[chunk]!.byteLength;
    }
    this.#chunks[chunk] = undefined;
    this.#freeIndices.push(chunk);
  }

  /** True when more bytes are held for nothing than live, and enough to matter. */
  get wasteful(): boolean {
    const waste = this.#held - this.#liveTotal;
    return waste > WASTE_FLOOR && waste > this.#liveTotal;
  }

  #newChunk(chunk: Uint8Array): number {
    const index = this.#freeIndices.pop() ?? this.#chunks.length;
    this.#chunks[index] = chunk;
    this.#live[index] = 0;
    return index;
  }
}

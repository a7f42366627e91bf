/**
 * The encoding half of the jute codec: {@linkcode JuteWriter} appends jute's
 * big-endian primitives to one growable buffer, with the frame length
 * patched in at the end.
 *
 * @module
 */

const MIB = 1024 * 1024;

/**
 * Encodes jute primitives into one growable buffer.
 *
 * Everything is big-endian, as Java's `BinaryOutputArchive` writes it. A
 * `null` string, buffer or vector is written as length -1. Strings are
 * encoded the way jute's Java writer does it: UTF-8, except that each UTF-16
 * surrogate is written as its own three-byte sequence (CESU-8), so `😀` is
 * `ed a0 bd ed b8 80`, not `f0 9f 98 80`.
 *
 * The writer is meant to be reused: write a batch of frames, hand
 * {@linkcode JuteWriter.bytes} to the socket, then {@linkcode JuteWriter.reset}.
 *
 * @example
 * ```ts
 * import { JuteWriter } from "@zk/client/jute";
 * const w = new JuteWriter();
 * const frame = w.beginFrame();
 * w.int(1); // xid
 * w.int(4); // getData
 * w.string("/a");
 * w.bool(false);
 * w.endFrame(frame); // 15: the bytes after the length prefix
 * const packet: Uint8Array = w.bytes();
 * ```
 */
export class JuteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  readonly #initialCapacity: number;

  /** Makes a writer whose buffer starts at `initialCapacity` bytes and doubles as needed. */
  constructor(initialCapacity: number = 1024) {
    this.#initialCapacity = Math.max(16, initialCapacity | 0);
    this.#buf = new Uint8Array(this.#initialCapacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** How many bytes have been written since the last reset. */
  get length(): number {
    return this.#pos;
  }

  /** Makes room for `n` more bytes. */
  #ensure(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let capacity = this.#buf.length * 2;
    while (capacity < need) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Writes a jute `int`: 4 bytes, big-endian, two's complement. */
  int(v: number): void {
    this.#ensure(4);
    this.#view.setInt32(this.#pos, v);
    this.#pos += 4;
  }

  /** Writes a jute `long`: 8 bytes, big-endian; values outside 64 bits wrap. */
  long(v: bigint): void {
    this.#ensure(8);
    this.#view.setBigInt64(this.#pos, v);
    this.#pos += 8;
  }

  /** Writes a jute `boolean`: one byte, 1 or 0. */
  bool(v: boolean): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v ? 1 : 0;
  }

  /** Writes a jute `byte` (the low 8 bits of `v`). */
  byte(v: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v;
  }

  /** Writes a jute `buffer`: its length, then its bytes; `null` is length -1. */
  buffer(v: Uint8Array | null): void {
    if (v == null) {
      this.int(-1);
      return;
    }
    const n = v.length;
    this.#ensure(4 + n);
    this.#view.setInt32(this.#pos, n);
    this.#buf.set(v, this.#pos + 4);
    this.#pos += 4 + n;
  }

  /** Writes `v` as is, with no length prefix. */
  raw(v: Uint8Array): void {
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }

  /**
   * Writes a jute `ustring`: its encoded length, then its bytes (CESU-8, as
   * Java's jute writes it); `null` is length -1.
   */
  string(v: string | null): void {
    if (v == null) {
      this.int(-1);
      return;
    }
    const n = v.length;
    // Three bytes per UTF-16 unit is the most any string can take.
    this.#ensure(4 + 3 * n);
    const buf = this.#buf;
    const start = this.#pos + 4;
    let p = start;
    let i = 0;
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        // Surrogates included: jute encodes each half on its own (CESU-8).
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.#view.setInt32(this.#pos, p - start);
    this.#pos = p;
  }

  /** Writes a jute `vector<ustring>`: the count, then each string; `null` is -1. */
  stringVector(v: readonly string[] | null): void {
    if (v == null) {
      this.int(-1);
      return;
    }
    const n = v.length;
    this.int(n);
    for (let i = 0; i < n; i++) this.string(v[i]);
  }

  /**
   * Writes a jute `vector`: the count, then each item with `write`; `null`
   * is -1.
   *
   * @example
   * ```ts
   * import { JuteWriter, writeACL } from "@zk/client/jute";
   * const w = new JuteWriter();
   * w.vector([{ perms: 31, id: { scheme: "world", id: "anyone" } }], writeACL);
   * ```
   */
  vector<T>(v: readonly T[] | null, write: (w: JuteWriter, item: T) => void): void {
    if (v == null) {
      this.int(-1);
      return;
    }
    const n = v.length;
    this.int(n);
    for (let i = 0; i < n; i++) write(this, v[i]);
  }

  /**
   * Starts a length-prefixed frame: reserves its 4-byte length and returns
   * the frame's start offset, for {@linkcode JuteWriter.endFrame}.
   */
  beginFrame(): number {
    this.#ensure(4);
    const start = this.#pos;
    this.#pos += 4;
    return start;
  }

  /**
   * Ends the frame begun at `start`: writes the number of bytes after its
   * length prefix into the prefix, and returns that number.
   */
  endFrame(start: number): number {
    const length = this.#pos - start - 4;
    if (start < 0 || length < 0) throw new RangeError(`no frame begins at offset ${start}`);
    this.#view.setInt32(start, length);
    return length;
  }

  /**
   * Drops everything written after the first `length` bytes, e.g. a frame
   * that turned out too large to send.
   */
  truncate(length: number): void {
    if (!(length >= 0 && length <= this.#pos)) {
      throw new RangeError(`cannot truncate ${this.#pos} bytes to ${length}`);
    }
    this.#pos = length;
  }

  /**
   * The bytes written so far, as a view of the writer's buffer (no copy).
   * The view is only valid until the next write or reset.
   */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** A copy of the bytes written so far; the writer is then reset. */
  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#pos);
    this.reset();
    return out;
  }

  /**
   * Forgets what was written and starts over in the same buffer. A buffer
   * that grew past 1 MiB for one large packet is given back.
   */
  reset(): void {
    this.#pos = 0;
    if (this.#buf.length > MIB && this.#buf.length > this.#initialCapacity) {
      this.#buf = new Uint8Array(this.#initialCapacity);
      this.#view = new DataView(this.#buf.buffer);
    }
  }
}

/**
 * The bytes `v` takes as a jute `ustring` body (CESU-8, without the 4-byte
 * length prefix): what {@linkcode JuteWriter.string} writes for it.
 *
 * @example
 * ```ts
 * import { juteStringLength } from "@zk/client/jute";
 * juteStringLength("/a"); // 2
 * juteStringLength("/é"); // 3
 * ```
 */
export function juteStringLength(v: string): number {
  let n = v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

/**
 * The decoding half of the jute codec: {@linkcode JuteReader}, a bounds-checked
 * cursor over received bytes.
 *
 * @module
 */

import { MarshallingError } from "../errors.ts";

const REPLACEMENT = 0xfffd;
/** Strings at least this long that hold no 0xED byte go to the platform's TextDecoder. */
const NATIVE_DECODE_MIN = 48;
/** Vectors of at least this many strings try the one-decode ASCII path. */
const ASCII_VECTOR_MIN = 4;
/**
 * The ASCII path decodes the rest of the frame at once (no scan for the
 * vector's end first) when the rest is at most this many bytes per string:
 * a children list that ends its frame is that, and the bound keeps the work
 * wasted on a long frame that is not all ASCII linear in the vector's size.
 */
const REST_BYTES_PER_STRING = 64;
/** `String.fromCharCode.apply` takes at most this many code units at a time. */
const CHUNK = 4096;
/** The largest scratch buffer kept between calls, in UTF-16 units. */
const SCRATCH_MAX = 64 * 1024;

// ignoreBOM: a string that starts with U+FEFF keeps it (Java's jute does).
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
let scratch = new Uint16Array(256);
const asciiUnits: number[] = [];

/**
 * Decodes a jute `ustring` in `b[start, end)`. Jute's Java writer encodes
 * each UTF-16 surrogate on its own (CESU-8), other writers use real UTF-8
 * four-byte sequences; both decode to the same string. Malformed bytes become
 * U+FFFD, as the WHATWG decoder does; the one departure from it is that
 * three-byte surrogates (`ed a0..bf xx`) are accepted.
 */
function decodeString(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 8) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) return decodeCesu8(b, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  if (len < NATIVE_DECODE_MIN) {
    // Measured: for 9 to ~48 ASCII bytes, one fromCharCode over a reused
    // array beats both concatenation and a TextDecoder call.
    const units = asciiUnits;
    units.length = len;
    for (let i = 0; i < len; i++) {
      const c = b[start + i];
      if (c >= 0x80) return decodeCesu8(b, start, end);
      units[i] = c;
    }
    return String.fromCharCode.apply(null, units);
  }
  // Without an 0xED byte there is no surrogate sequence, and the platform
  // decoder gives the same result as decodeCesu8, much faster.
  const bytes = b.subarray(start, end);
  if (bytes.indexOf(0xed) < 0) return textDecoder.decode(bytes);
  return decodeCesu8(b, start, end);
}

function decodeCesu8(b: Uint8Array, start: number, end: number): string {
  const size = end - start;
  // The shared scratch grows for common sizes; a rare huge string gets its own.
  if (scratch.length < size && size <= SCRATCH_MAX) scratch = new Uint16Array(size);
  const out = scratch.length >= size ? scratch : new Uint16Array(size);
  let n = 0;
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (needed === 0) {
      if (c < 0x80) {
        out[n++] = c;
      } else if (c >= 0xc2 && c <= 0xdf) {
        needed = 1;
        cp = c & 0x1f;
      } else if (c >= 0xe0 && c <= 0xef) {
        if (c === 0xe0) lower = 0xa0;
        needed = 2;
        cp = c & 0x0f;
      } else if (c >= 0xf0 && c <= 0xf4) {
        if (c === 0xf0) lower = 0x90;
        if (c === 0xf4) upper = 0x8f;
        needed = 3;
        cp = c & 0x07;
      } else {
        out[n++] = REPLACEMENT;
      }
      continue;
    }
    if (c < lower || c > upper) {
      // A broken sequence: one U+FFFD for it, then this byte starts afresh.
      out[n++] = REPLACEMENT;
      needed = seen = cp = 0;
      lower = 0x80;
      upper = 0xbf;
      i--;
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (c & 0x3f);
    if (++seen === needed) {
      if (cp > 0xffff) {
        cp -= 0x10000;
        out[n++] = 0xd800 | (cp >> 10);
        out[n++] = 0xdc00 | (cp & 0x3ff);
      } else {
        out[n++] = cp;
      }
      needed = seen = cp = 0;
    }
  }
  if (needed !== 0) out[n++] = REPLACEMENT;
  if (n <= CHUNK) return String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[]);
  let s = "";
  for (let i = 0; i < n; i += CHUNK) {
    const part = out.subarray(i, Math.min(n, i + CHUNK));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}

/**
 * `b[start, end)` decoded, if every byte is ASCII (each then maps to one
 * UTF-16 unit at the same index); null otherwise. A non-ASCII byte either
 * starts a valid sequence, which decodes to fewer units than bytes, or an
 * invalid one, which decodes to U+FFFD: either way the check fails.
 */
function decodedAscii(b: Uint8Array, start: number, end: number): string | null {
  const text = textDecoder.decode(b.subarray(start, end));
  return text.length === end - start && text.indexOf("\ufffd") < 0 ? text : null;
}

/**
 * A cursor over jute-encoded bytes, bounded by a frame.
 *
 * Every read checks its bounds: reading past `end`, a length below -1, a
 * length longer than the bytes left, or a vector count that cannot fit in
 * them throws {@linkcode MarshallingError}; nothing is allocated from a
 * length before it is checked. Buffers are returned as views of the input,
 * without a copy.
 *
 * @example
 * ```ts
 * import { JuteReader } from "@zk/client/jute";
 * const r = new JuteReader(new Uint8Array([0, 0, 0, 2, 0x2f, 0x61, 1]));
 * r.string(); // "/a"
 * r.bool(); // true
 * r.expectEnd();
 * ```
 */
export class JuteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  #offset: number;

  /**
   * Reads `bytes[start, end)`.
   *
   * @throws {MarshallingError} if the range is not inside `bytes`.
   */
  constructor(bytes: Uint8Array, start: number = 0, end: number = bytes.length) {
    if (!(start >= 0 && start <= end && end <= bytes.length) || start % 1 || end % 1) {
      throw new MarshallingError(`bad frame bounds [${start}, ${end}) of ${bytes.length} bytes`);
    }
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = start;
    this.#end = end;
  }

  /** Where the next read starts, as an index into the input bytes. */
  get offset(): number {
    return this.#offset;
  }

  /** Where the frame ends, as an index into the input bytes. */
  get end(): number {
    return this.#end;
  }

  /** How many bytes are left before the end of the frame. */
  get remaining(): number {
    return this.#end - this.#offset;
  }

  #short(need: number): MarshallingError {
    return new MarshallingError(
      `truncated record: ${need} bytes needed at offset ${this.#offset}, ${this.remaining} left`,
    );
  }

  /** Reads a jute `int`. */
  int(): number {
    const o = this.#offset;
    if (o + 4 > this.#end) throw this.#short(4);
    this.#offset = o + 4;
    return this.#view.getInt32(o);
  }

  /** Reads a jute `long`. */
  long(): bigint {
    const o = this.#offset;
    if (o + 8 > this.#end) throw this.#short(8);
    this.#offset = o + 8;
    return this.#view.getBigInt64(o);
  }

  /**
   * Reads a jute `long` as a `number`, without a `bigint`: exact while the
   * value is within ±2^53 (times in ms are, for the next 285,000 years).
   */
  longNumber(): number {
    const o = this.#offset;
    if (o + 8 > this.#end) throw this.#short(8);
    this.#offset = o + 8;
    return this.#view.getInt32(o) * 4294967296 + this.#view.getUint32(o + 4);
  }

  /** Reads a jute `boolean`: any byte but 0 is true, as in Java. */
  bool(): boolean {
    const o = this.#offset;
    if (o >= this.#end) throw this.#short(1);
    this.#offset = o + 1;
    return this.#bytes[o] !== 0;
  }

  /** Reads a jute `byte`, signed. */
  byte(): number {
    const o = this.#offset;
    if (o >= this.#end) throw this.#short(1);
    this.#offset = o + 1;
    return (this.#bytes[o] << 24) >> 24;
  }

  /** Reads a length for a string or buffer: -1 for null, else checked against what is left. */
  #length(): number {
    const o = this.#offset;
    if (o + 4 > this.#end) throw this.#short(4);
    const n = this.#view.getInt32(o);
    if (n < -1) throw new MarshallingError(`negative length ${n} at offset ${o}`);
    if (n > this.#end - o - 4) {
      throw new MarshallingError(
        `length ${n} at offset ${o} runs past the frame (${this.#end - o - 4} bytes left)`,
      );
    }
    this.#offset = o + 4;
    return n;
  }

  /**
   * Reads a vector's element count: -1 for null, else checked so that
   * `count * minElementSize` bytes are left.
   */
  #count(minElementSize: number): number {
    const o = this.#offset;
    if (o + 4 > this.#end) throw this.#short(4);
    const n = this.#view.getInt32(o);
    if (n < -1) throw new MarshallingError(`negative vector count ${n} at offset ${o}`);
    if (n * minElementSize > this.#end - o - 4) {
      throw new MarshallingError(
        `vector of ${n} at offset ${o} cannot fit in the ${this.#end - o - 4} bytes left`,
      );
    }
    this.#offset = o + 4;
    return n;
  }

  /**
   * Reads a jute `buffer`, or `null` for length -1. The result is a view of
   * the input bytes (no copy): copy it if the input is going to be reused.
   */
  buffer(): Uint8Array | null {
    const n = this.#length();
    if (n < 0) return null;
    const o = this.#offset;
    this.#offset = o + n;
    return this.#bytes.subarray(o, o + n);
  }

  /** Reads a jute `ustring` (CESU-8 or UTF-8), or `null` for length -1. */
  string(): string | null {
    const n = this.#length();
    if (n < 0) return null;
    const o = this.#offset;
    this.#offset = o + n;
    return decodeString(this.#bytes, o, o + n);
  }

  /** Reads a jute `vector<ustring>`, or `null` for count -1. */
  stringVector(): string[] | null {
    const n = this.#count(4);
    if (n < 0) return null;
    if (n >= ASCII_VECTOR_MIN) {
      const ascii = this.#asciiStrings(n);
      if (ascii !== null) return ascii;
    }
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.string() as string;
    return out;
  }

  /**
   * The fast path for children lists: when the next `n` strings are non-null
   * and their bytes, length prefixes included, are all ASCII, one platform
   * decode gives a string whose indices match the bytes', and each string is
   * a slice of it. Returns null, having read nothing, otherwise.
   */
  #asciiStrings(n: number): string[] | null {
    const b = this.#bytes;
    const view = this.#view;
    const start = this.#offset;
    const end = this.#end;
    // A vector that ends its frame (getChildren's reply) is decoded without a
    // scan for its end first. A last byte that is not ASCII rules that out
    // cheaply (a Stat after the vector often ends in one); otherwise a rest
    // that is not all ASCII costs one wasted decode, and we scan.
    if (end - start <= n * REST_BYTES_PER_STRING && b[end - 1] < 0x80) {
      const rest = decodedAscii(b, start, end);
      if (rest !== null) return this.#slices(rest, n);
    }
    let o = start;
    for (let i = 0; i < n; i++) {
      if (o + 4 > end) return null;
      const len = view.getInt32(o);
      if (len < 0 || len > end - o - 4) return null;
      o += 4 + len;
    }
    const run = decodedAscii(b, start, o);
    return run === null ? null : this.#slices(run, n);
  }

  /**
   * Cuts `n` strings out of `text`, the ASCII decoding of the bytes from the
   * offset on; null, having read nothing, on a null or out-of-frame length.
   */
  #slices(text: string, n: number): string[] | null {
    const view = this.#view;
    const start = this.#offset;
    const end = this.#end;
    const out: string[] = new Array(n);
    let o = start;
    for (let i = 0; i < n; i++) {
      if (o + 4 > end) return null;
      const len = view.getInt32(o);
      if (len < 0 || len > end - o - 4) return null;
      const from = o + 4 - start;
      out[i] = text.substring(from, from + len);
      o += 4 + len;
    }
    this.#offset = o;
    return out;
  }

  /**
   * Reads a jute `vector`, each item with `read`; `null` for count -1.
   * `minElementSize` is the fewest bytes an item can take: a count that
   * cannot fit in the bytes left is refused before anything is allocated.
   *
   * @example
   * ```ts
   * import { JuteReader, readACL } from "@zk/client/jute";
   * declare const bytes: Uint8Array;
   * const acl = new JuteReader(bytes).vector(readACL, 12);
   * ```
   */
  vector<T>(read: (r: JuteReader) => T, minElementSize: number = 1): T[] | null {
    const n = this.#count(minElementSize > 1 ? minElementSize : 1);
    if (n < 0) return null;
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (!(n >= 0) || this.#offset + n > this.#end) throw this.#short(n);
    this.#offset += n;
  }

  /** Throws {@linkcode MarshallingError} unless every byte of the frame has been read. */
  expectEnd(): void {
    if (this.#offset !== this.#end) {
      throw new MarshallingError(
        `${this.#end - this.#offset} unexpected bytes after the record at offset ${this.#offset}`,
      );
    }
  }
}

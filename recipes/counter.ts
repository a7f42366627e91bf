/**
 * A shared counter in one znode, kazoo's `Counter`: the value is stored as
 * kazoo writes it (Python's `repr` of an int or a float, ASCII), or as
 * Curator's `SharedCount` does (a 4-byte big-endian int), so Python, Java and
 * TypeScript services can count together on the same path.
 *
 * Updates are optimistic: read the value and its version, write the new value
 * conditionally on that version, and start over when someone else won the race.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  DataInconsistencyError,
  isSessionExpiry,
  NodeExistsError,
  NoNodeError,
  OutcomeUnknownError,
} from "../lib/errors.ts";
import { throwIfAborted } from "../lib/abort.ts";
import type { CallOptions, Stat } from "../lib/types.ts";

/**
 * How a {@linkcode Counter} stores its value:
 * - `"kazoo"`: ASCII text, Python's `repr(value)` (`"42"`, `"2.5"`, `"1e-05"`), kazoo's default;
 * - `"curator"`: a 4-byte big-endian signed int, Curator's `SharedCount` and kazoo's
 *   `support_curator=True` (ints only, -2^31..2^31-1).
 */
export type CounterEncoding = "kazoo" | "curator";

/**
 * The number type of a {@linkcode Counter}, Python's `type(default)`: `"int"` values
 * must be safe integers and are written without a fraction (`"3"`); `"float"` values
 * are written as Python writes floats (`"3.0"`).
 */
export type CounterType = "int" | "float";

/** Options of {@linkcode Counter}. */
export interface CounterOptions {
  /**
   * The value of a node with no data (default 0). A missing node is created
   * empty with the kazoo encoding (as kazoo does), holding this value with
   * the curator encoding (Curator cannot read an empty node).
   */
  default?: number;
  /**
   * The number type (default: `"int"` when `default` is an integer, else `"float"`).
   * A kazoo counter created with `default=0.0` is a float counter: pass `"float"`.
   */
  type?: CounterType;
  /** How the value is stored (default `"kazoo"`). */
  encoding?: CounterEncoding;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder("ascii");

/**
 * A counter shared through ZooKeeper: concurrent {@linkcode Counter.add} calls
 * from any number of clients (ours, kazoo's or Curator's) each apply exactly once.
 * `preValue` and `postValue` hold the old and new value of this instance's last
 * change, as kazoo's `pre_value` and `post_value`.
 *
 * @example
 * ```ts
 * import { Counter, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const hits = new Counter(zk, "/stats/hits");
 * await hits.add(1);
 * console.log(await hits.get(), hits.preValue, hits.postValue);
 * const ratio = new Counter(zk, "/stats/ratio", { default: 0.5 }); // a float counter
 * await ratio.subtract(0.25);
 * ```
 */
export class Counter {
  /** The counter's node. */
  readonly path: string;
  /** The value of an empty node. */
  readonly default: number;
  /** The number type. */
  readonly type: CounterType;
  /** How the value is stored. */
  readonly encoding: CounterEncoding;
  readonly #zk: ZooKeeperClientCore;
  #ensured = false;
  #preValue: number | undefined;
  #postValue: number | undefined;

  /**
   * Makes a counter on `path`; nothing is sent until the first call.
   *
   * @throws {BadArgumentsError} for a `default` that does not fit the type or encoding.
   */
  constructor(zk: ZooKeeperClientCore, path: string, options: CounterOptions = {}) {
    this.#zk = zk;
    this.path = path;
    const dflt = options.default ?? 0;
    if (typeof dflt !== "number" || Number.isNaN(dflt)) {
      throw new BadArgumentsError(`counter ${path}: default must be a number`);
    }
    this.encoding = options.encoding ?? "kazoo";
    if (this.encoding !== "kazoo" && this.encoding !== "curator") {
      throw new BadArgumentsError(`counter ${path}: unknown encoding ${String(options.encoding)}`);
    }
    this.type = options.type ?? (Number.isInteger(dflt) ? "int" : "float");
    if (this.type !== "int" && this.type !== "float") {
      throw new BadArgumentsError(`counter ${path}: unknown type ${String(options.type)}`);
    }
    if (this.encoding === "curator" && this.type !== "int") {
      throw new BadArgumentsError(`counter ${path}: the curator encoding holds ints only`);
    }
    this.default = dflt;
    this.#checkValue(dflt, "default");
  }

  /** The value before this instance's last successful change (undefined before one). */
  get preValue(): number | undefined {
    return this.#preValue;
  }

  /** The value this instance's last successful change wrote (undefined before one). */
  get postValue(): number | undefined {
    return this.#postValue;
  }

  /**
   * Reads the current value (kazoo's `counter.value`), creating the node if
   * it is missing. Retried through connection loss.
   *
   * @example
   * ```ts
   * import { Counter, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const value = await new Counter(zk, "/stats/hits").get();
   * ```
   */
  async get(options: CallOptions = {}): Promise<number> {
    const { value } = await this.#read(options.signal);
    return value;
  }

  /**
   * Adds `delta` (kazoo's `counter += delta`) and resolves with the new value.
   * Lost races are retried at once; connection trouble is waited out.
   *
   * If the connection drops while the conditional write is in flight, the
   * counter re-reads the node. Unchanged, or one version further with other
   * bytes (another client's write won, so ours, conditional on the old
   * version, failed), proves the write was not applied: it tries again.
   * Anything else cannot be proven either way: one version further with
   * exactly our bytes is our write or another client's add of the same
   * amount, and two or more writes since may or may not include ours. Then
   * it rejects with {@linkcode OutcomeUnknownError}, never reporting a value
   * that may not be the result of this add, nor adding twice (kazoo would
   * add again; a blind retry could too).
   *
   * @throws {OutcomeUnknownError} after a connection loss, as above.
   * @throws {BadArgumentsError} if `delta` does not fit the counter's type, or
   * the result would not fit (a non-safe integer, or out of int32 for `"curator"`).
   *
   * @example
   * ```ts
   * import { Counter, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const counter = new Counter(zk, "/jobs/done");
   * const now = await counter.add(5); // counter.preValue === now - 5
   * ```
   */
  async add(delta: number, options: CallOptions = {}): Promise<number> {
    this.#checkValue(delta, "delta");
    const signal = options.signal;
    while (true) {
      const { value: pre, stat } = await this.#read(signal);
      const post = pre + delta;
      this.#checkValue(post, "result");
      const bytes = this.#encode(post);
      throwIfAborted(signal);
      try {
        await this.#zk.set(this.path, bytes, { version: stat.version, signal });
      } catch (error) {
        // Lost the race; or the session expired before the write was sent.
        if (error instanceof BadVersionError || isSessionExpiry(error)) continue;
        if (error instanceof NoNodeError) {
          this.#ensured = false;
          continue;
        }
        if (!(error instanceof ConnectionLossError)) throw error;
        // Either proven not applied (try again) or unknown (rejects).
        await this.#outcome(stat.version, bytes, error, signal);
        continue;
      }
      this.#preValue = pre;
      this.#postValue = post;
      return post;
    }
  }

  /**
   * Subtracts `delta` (kazoo's `counter -= delta`) and resolves with the new value.
   *
   * @example
   * ```ts
   * import { Counter, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * await new Counter(zk, "/pool/free", { default: 10 }).subtract(1);
   * ```
   */
  subtract(delta: number, options: CallOptions = {}): Promise<number> {
    if (typeof delta !== "number") {
      return Promise.reject(new BadArgumentsError(`counter ${this.path}: delta must be a number`));
    }
    return this.add(-delta, options);
  }

  /**
   * After a write whose reply was lost: resolves when it provably was not
   * applied; rejects with {@linkcode OutcomeUnknownError} when that cannot be told.
   */
  async #outcome(
    version: number,
    bytes: Uint8Array,
    lost: ConnectionLossError,
    signal: AbortSignal | undefined,
  ): Promise<"retry"> {
    let now: { data: Uint8Array; stat: Stat };
    try {
      // sync first: the member we reconnected to may lag behind the write we
      // are asking about, and "version unchanged" must prove it was not applied.
      now = await this.#zk.retry(async () => {
        await this.#zk.sync(this.path, { signal });
        return await this.#zk.get(this.path, { signal });
      }, { maxTries: -1, signal });
    } catch (error) {
      if (error instanceof NoNodeError) {
        this.#ensured = false;
        return "retry";
      }
      throw error;
    }
    if (now.stat.version === version) return "retry";
    // One write since with other bytes: someone else's, so ours, which
    // needed the old version, cannot have been applied.
    if (now.stat.version === version + 1 && !sameBytes(now.data, bytes)) return "retry";
    // Our bytes could be another client's add of the same amount from the
    // same value: the data format (kazoo's, Curator's) has no room for a
    // writer's mark, so nothing here proves the write was ours.
    throw new OutcomeUnknownError(
      now.stat.version === version + 1
        ? `counter ${this.path}: the connection dropped during an update, and the node now ` +
          `holds what it would have written, which another client adding the same amount ` +
          `would write too; whether this add was applied is unknown`
        : `counter ${this.path}: the connection dropped during an update and others have ` +
          `written since; whether this add was applied is unknown`,
      { cause: lost, path: this.path },
    );
  }

  async #read(signal: AbortSignal | undefined): Promise<{ value: number; stat: Stat }> {
    while (true) {
      try {
        return await this.#zk.retry(async () => {
          if (!this.#ensured) {
            await this.#ensure(signal);
            this.#ensured = true;
          }
          const { data, stat } = await this.#zk.get(this.path, { signal });
          return { value: this.#decode(data), stat };
        }, { maxTries: -1, signal });
      } catch (error) {
        // Deleted under us: create it again.
        if (!(error instanceof NoNodeError)) throw error;
        this.#ensured = false;
      }
    }
  }

  /**
   * Creates a missing node. kazoo's counter starts empty (kazoo reads that as
   * the default); Curator's `SharedCount` cannot read an empty node, so the
   * curator encoding starts with the default as a 4-byte int.
   */
  async #ensure(signal: AbortSignal | undefined): Promise<void> {
    if (this.encoding === "kazoo") return await this.#zk.ensurePath(this.path, { signal });
    try {
      await this.#zk.create(this.path, this.#encode(this.default), { makeParents: true, signal });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  #checkValue(value: number, what: string): void {
    if (typeof value !== "number") {
      throw new BadArgumentsError(`counter ${this.path}: ${what} must be a number`);
    }
    if (this.type === "int" && !Number.isSafeInteger(value)) {
      throw new BadArgumentsError(
        `counter ${this.path}: ${what} ${value} is not a safe integer (an int counter)`,
      );
    }
    if (this.encoding === "curator" && (value < INT32_MIN || value > INT32_MAX)) {
      throw new BadArgumentsError(
        `counter ${this.path}: ${what} ${value} does not fit the curator encoding (int32)`,
      );
    }
  }

  #encode(value: number): Uint8Array {
    if (this.encoding === "curator") {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setInt32(0, value, false);
      return bytes;
    }
    return encoder.encode(this.type === "int" ? String(value) : pythonFloatRepr(value));
  }

  #decode(data: Uint8Array): number {
    if (data.length === 0) return this.default;
    if (this.encoding === "curator") {
      if (data.length !== 4) {
        throw new DataInconsistencyError(
          `counter ${this.path} holds ${data.length} bytes, not a 4-byte curator int`,
        );
      }
      return new DataView(data.buffer, data.byteOffset, 4).getInt32(0, false);
    }
    const text = decoder.decode(data);
    const value = this.type === "int" ? parsePythonInt(text) : parsePythonFloat(text);
    if (value === undefined) {
      throw new DataInconsistencyError(
        `counter ${this.path} holds ${JSON.stringify(text)}, not ${this.type}`,
      );
    }
    if (this.type === "int" && !Number.isSafeInteger(value)) {
      throw new DataInconsistencyError(`counter ${this.path} holds ${text}, beyond a safe integer`);
    }
    return value;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Python's `int(text)`: optional sign and surrounding whitespace, digits with single underscores. */
function parsePythonInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number(t.replaceAll("_", ""));
}

/** Python's `float(text)`, including `inf`, `infinity` and `nan` in any case. */
function parsePythonFloat(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  const special = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (special) {
    if (special[2] === "nan") return NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  const digits = "\\d+(?:_\\d+)*";
  const pattern = new RegExp(
    `^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:e[+-]?${digits})?$`,
  );
  if (!pattern.test(t)) return undefined;
  return Number(t.replaceAll("_", ""));
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JavaScript's
 * own), laid out as Python does: `"3.0"`, `"0.0001"`, `"1e-05"`, `"1e+16"`,
 * `"inf"`, `"nan"`, `"-0.0"`.
 */
function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  // JavaScript's shortest round-trip form, split into digits and a decimal point position.
  const [mantissa, exponent = "0"] = String(Math.abs(value)).split("e");
  const [whole, fraction = ""] = mantissa.split(".");
  let digits = whole + fraction;
  let point = whole.length + Number(exponent);
  const leading = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(leading).replace(/0+$/, "");
  point -= leading;
  // Python switches to exponent notation when the exponent is < -4 or >= 16.
  if (point <= -4 || point > 16) {
    const e = point - 1;
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

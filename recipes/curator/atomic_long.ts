/**
 * Curator's `DistributedAtomicLong`: a 64-bit counter in one PERSISTENT
 * znode (8 big-endian bytes), changed by optimistic compare-and-set on the
 * node's version. Every change reports an {@linkcode AtomicValue}: whether it
 * succeeded within the tries allowed, and the values before and after.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import {
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  NodeExistsError,
  NoNodeError,
} from "../../lib/errors.ts";
import { sleep, throwIfAborted } from "../../lib/abort.ts";
import type { CallOptions, Stat } from "../../lib/types.ts";
import { createWithParents, decodeInt64, encodeInt64, sameBytes } from "./nodes.ts";

/** The outcome of a {@linkcode DistributedAtomicLong} operation, Curator's `AtomicValue`. */
export interface AtomicValue<T> {
  /**
   * Whether the operation was applied. Running out of tries is not an error:
   * check this (Curator's `succeeded()`).
   */
  readonly succeeded: boolean;
  /** The value the operation started from (the last one read when it did not succeed). */
  readonly preValue: T;
  /** The value written (equal to `preValue` when it did not succeed). */
  readonly postValue: T;
  /** How many optimistic tries it took. */
  readonly optimisticTries: number;
}

/** Options of {@linkcode DistributedAtomicLong}. */
export interface DistributedAtomicLongOptions {
  /**
   * How many optimistic tries an operation makes before it gives up with
   * `succeeded: false` (Curator's retry policy; default 10).
   */
  maxTries?: number;
  /** Milliseconds between lost tries, doubled each time up to 1 s, with jitter (default 10). */
  delay?: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkInt64(value: bigint, what: string): void {
  if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) {
    throw new BadArgumentsError(`${what} must be a bigint in the int64 range, not ${value}`);
  }
}

/** Java's long arithmetic: results wrap around at 64 bits. */
function wrap(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

type Attempt = { kind: "done"; pre: bigint; post: bigint } | { kind: "lost"; pre: bigint };

/**
 * A long shared by every client on `path`, Curator's `DistributedAtomicLong`:
 * Java services using Curator on the same path change the same value. A
 * missing node reads as 0 and is created by the first write (parents as
 * containers).
 *
 * Unlike Curator, a write whose reply was lost to a connection drop is
 * checked before being tried again, so an increment is never applied twice.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { DistributedAtomicLong } from "@zk/client/curator";
 * const requests = new DistributedAtomicLong(zk, "/stats/requests", { maxTries: 50 });
 * const result = await requests.increment();
 * if (result.succeeded) console.log(result.preValue, "->", result.postValue);
 * ```
 */
export class DistributedAtomicLong {
  /** The counter's node. */
  readonly path: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #maxTries: number;
  readonly #delay: number;

  /** Makes the counter; nothing is sent before the first call. */
  constructor(zk: ZooKeeperClientCore, path: string, options: DistributedAtomicLongOptions = {}) {
    this.#zk = zk;
    this.path = path;
    this.#maxTries = options.maxTries ?? 10;
    this.#delay = options.delay ?? 10;
    if (!Number.isInteger(this.#maxTries) || this.#maxTries < 1) {
      throw new BadArgumentsError(`maxTries must be an integer >= 1, not ${options.maxTries}`);
    }
    if (!(this.#delay >= 0)) {
      throw new BadArgumentsError(`delay must be a number of ms >= 0, not ${options.delay}`);
    }
  }

  /**
   * The current value (0 when the node is missing or empty); always succeeds.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const { postValue } = await new DistributedAtomicLong(zk, "/stats/requests").get();
   * ```
   */
  async get(options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    const { value } = await this.#read(options.signal);
    return { succeeded: true, preValue: value, postValue: value, optimisticTries: 0 };
  }

  /** Adds 1. */
  increment(options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    return this.add(1n, options);
  }

  /** Subtracts 1. */
  decrement(options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    return this.add(-1n, options);
  }

  /**
   * Adds `delta` (wrapping at 64 bits, as Java's long does).
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const bytes = new DistributedAtomicLong(zk, "/stats/bytes");
   * const result = await bytes.add(1024n);
   * if (!result.succeeded) console.log("too much contention, try later");
   * ```
   */
  add(delta: bigint, options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    checkInt64(delta, "delta");
    return this.#optimistic((pre) => wrap(pre + delta), options.signal);
  }

  /** Subtracts `delta`. */
  subtract(delta: bigint, options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    checkInt64(delta, "delta");
    return this.#optimistic((pre) => wrap(pre - delta), options.signal);
  }

  /** Sets `value` through the optimistic loop (Curator's `trySet`). */
  trySet(value: bigint, options: CallOptions = {}): Promise<AtomicValue<bigint>> {
    checkInt64(value, "value");
    return this.#optimistic(() => value, options.signal);
  }

  /**
   * Sets `value` if the counter is `expected` now (Curator's `compareAndSet`):
   * one try, and no create: it fails on a missing node.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const epoch = new DistributedAtomicLong(zk, "/cluster/epoch");
   * const seen = (await epoch.get()).postValue;
   * const { succeeded } = await epoch.compareAndSet(seen, seen + 1n);
   * ```
   */
  async compareAndSet(
    expected: bigint,
    value: bigint,
    options: CallOptions = {},
  ): Promise<AtomicValue<bigint>> {
    checkInt64(expected, "expected");
    checkInt64(value, "value");
    const signal = options.signal;
    const current = await this.#read(signal);
    const failed = { succeeded: false, preValue: current.value, postValue: current.value };
    if (current.stat === null || current.value !== expected) {
      return { ...failed, optimisticTries: 1 };
    }
    const outcome = await this.#write(current.stat, value, signal);
    if (outcome === "lost") return { ...failed, optimisticTries: 1 };
    return { succeeded: true, preValue: expected, postValue: value, optimisticTries: 1 };
  }

  /** Sets `value` whatever the counter holds, creating the node if needed (Curator's `forceSet`). */
  async forceSet(value: bigint, options: CallOptions = {}): Promise<void> {
    checkInt64(value, "value");
    const signal = options.signal;
    await this.#zk.retry(async () => {
      try {
        await this.#zk.set(this.path, encodeInt64(value), { signal });
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        try {
          await createWithParents(this.#zk, this.path, encodeInt64(value), { signal });
        } catch (again) {
          if (!(again instanceof NodeExistsError)) throw again;
          await this.#zk.set(this.path, encodeInt64(value), { signal });
        }
      }
    }, { maxTries: -1, signal });
  }

  /**
   * Creates the node with `value` if it does not exist (Curator's
   * `initialize`); false when it existed already.
   */
  async initialize(value: bigint, options: CallOptions = {}): Promise<boolean> {
    checkInt64(value, "value");
    const signal = options.signal;
    try {
      await createWithParents(this.#zk, this.path, encodeInt64(value), { signal });
      return true;
    } catch (error) {
      if (error instanceof NodeExistsError) return false;
      throw error;
    }
  }

  async #optimistic(
    compute: (pre: bigint) => bigint,
    signal: AbortSignal | undefined,
  ): Promise<AtomicValue<bigint>> {
    let last = 0n;
    let delay = this.#delay;
    for (let tries = 1;; tries++) {
      const attempt = await this.#tryOnce(compute, signal);
      if (attempt.kind === "done") {
        return {
          succeeded: true,
          preValue: attempt.pre,
          postValue: attempt.post,
          optimisticTries: tries,
        };
      }
      last = attempt.pre;
      if (tries >= this.#maxTries) {
        return { succeeded: false, preValue: last, postValue: last, optimisticTries: tries };
      }
      // Jitter, so that contenders who collided do not collide again in step.
      await sleep(delay * (0.5 + Math.random()), signal);
      delay = Math.min(delay * 2, 1_000);
    }
  }

  async #tryOnce(
    compute: (pre: bigint) => bigint,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    const { value: pre, stat } = await this.#read(signal);
    const post = compute(pre);
    throwIfAborted(signal);
    if (stat === null) {
      try {
        await createWithParents(this.#zk, this.path, encodeInt64(post), { signal });
        return { kind: "done", pre, post };
      } catch (error) {
        // Someone else created it first; a create whose reply was lost is
        // checked like a write (its version 0 with our bytes).
        if (error instanceof NodeExistsError) return { kind: "lost", pre };
        if (!(error instanceof ConnectionLossError)) throw error;
        const outcome = await this.#outcome(-1, encodeInt64(post), error, signal);
        return outcome === "done" ? { kind: "done", pre, post } : { kind: "lost", pre };
      }
    }
    const outcome = await this.#write(stat, post, signal);
    return outcome === "done" ? { kind: "done", pre, post } : { kind: "lost", pre };
  }

  /** A versioned write of `value` over the node read with `stat`. */
  async #write(stat: Stat, value: bigint, signal?: AbortSignal): Promise<"done" | "lost"> {
    const bytes = encodeInt64(value);
    try {
      await this.#zk.set(this.path, bytes, { version: stat.version, signal });
      return "done";
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NoNodeError) return "lost";
      if (!(error instanceof ConnectionLossError)) throw error;
      return await this.#outcome(stat.version, bytes, error, signal);
    }
  }

  /**
   * After a write (or create, `version` -1) whose reply was lost: was it
   * applied? The node one version further with exactly our bytes means yes;
   * unchanged, or changed by one other write, means no. More writes since
   * cannot be told apart: that rejects rather than risk counting twice.
   */
  async #outcome(
    version: number,
    bytes: Uint8Array,
    lost: ConnectionLossError,
    signal: AbortSignal | undefined,
  ): Promise<"done" | "lost"> {
    let now: { data: Uint8Array; stat: Stat };
    try {
      now = await this.#zk.retry(() => this.#zk.get(this.path, { signal }), {
        maxTries: -1,
        signal,
      });
    } catch (error) {
      if (error instanceof NoNodeError) return "lost";
      throw error;
    }
    if (now.stat.version === version) return "lost";
    if (now.stat.version === version + 1) return sameBytes(now.data, bytes) ? "done" : "lost";
    throw new ConnectionLossError(
      `${this.path}: the connection dropped during an update and others have written ` +
        `since; whether it was applied is unknown`,
      { cause: lost, path: this.path },
    );
  }

  /** The value and stat, `stat` null for a missing node (value 0); retried through connection loss. */
  async #read(signal?: AbortSignal): Promise<{ value: bigint; stat: Stat | null }> {
    return await this.#zk.retry(async () => {
      try {
        const { data, stat } = await this.#zk.get(this.path, { signal });
        return { value: decodeInt64(data, this.path), stat };
      } catch (error) {
        if (error instanceof NoNodeError) return { value: 0n, stat: null };
        throw error;
      }
    }, { maxTries: -1, signal });
  }
}

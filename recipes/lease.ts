/**
 * Time-based leases, kazoo's way: {@linkcode NonBlockingLease} and
 * {@linkcode MultiNonBlockingLease}. Under a {@linkcode Lock} on the lease
 * path, a persistent node `{path}/lease_holder` records who holds the lease
 * and until when, as the same JSON kazoo writes:
 * `{"version": 1, "holder": "host-a", "end": "2024-05-01T12:00:00"}` (UTC, whole
 * seconds). A kazoo process and this client on one path honour each other's
 * leases. Client clocks must roughly agree.
 *
 * @example
 * ```ts
 * import { NonBlockingLease, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function cleanup(): Promise<void>;
 * const lease = new NonBlockingLease(zk, "/leases/hourly-cleanup", 70 * 60_000, "host-a");
 * if (await lease.obtain()) await cleanup();
 * ```
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  DataInconsistencyError,
  NodeExistsError,
  NoNodeError,
  TransactionError,
} from "../lib/errors.ts";
import { joinPath, validatePath } from "../lib/paths.ts";
import { ForceRetryError } from "../lib/retry.ts";
import { retryUntil, whileConnected } from "./internal/contenders.ts";
import { Lock } from "./lock.ts";

/** Options of {@linkcode NonBlockingLease} and {@linkcode MultiNonBlockingLease}. */
export interface LeaseOptions {
  /** The clock, in ms since the epoch (default `Date.now`); kazoo's `utcnow`, for tests. */
  now?: () => number;
}

/** What `{path}/lease_holder` holds (kazoo's storage format, version 1). */
interface LeaseHolder {
  /** The storage format version; kazoo writes 1. */
  version: number;
  /** The holder's identifier. */
  holder: string;
  /** The end of the lease: `YYYY-MM-DDTHH:MM:SS`, UTC. */
  end: string;
}

const VERSION = 1;
const HOLDER = "lease_holder";
const END = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `ms` since the epoch as kazoo's `%Y-%m-%dT%H:%M:%S` (UTC; the fraction dropped). */
function formatEnd(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

function parseEnd(text: string): number | undefined {
  const m = END.exec(text);
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** A string as Python's `json.dumps` writes it (`ensure_ascii`: anything outside printable ASCII escaped). */
function pythonString(text: string): string {
  return JSON.stringify(text).replace(
    /[^\x20-\x7e]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** kazoo's holder record, byte for byte what `json.dumps` makes of it. */
function encodeHolder(holder: LeaseHolder): Uint8Array {
  return encoder.encode(
    `{"version": ${holder.version}, "holder": ${pythonString(holder.holder)}, "end": ${
      pythonString(holder.end)
    }}`,
  );
}

function decodeHolder(data: Uint8Array, path: string): Partial<LeaseHolder> {
  try {
    const value: unknown = JSON.parse(decoder.decode(data));
    if (value !== null && typeof value === "object") return value as Partial<LeaseHolder>;
  } catch {
    // reported below
  }
  throw new DataInconsistencyError("the lease holder node does not hold kazoo's lease JSON", {
    path,
  });
}

/**
 * An exclusive lease for `duration` ms on `path` that never waits for it,
 * compatible with kazoo's `NonBlockingLease`: {@linkcode NonBlockingLease.obtain}
 * says whether this identifier holds it now. Obtaining again with the same
 * identifier renews it. There is no release: it lapses at its end. Times
 * have a resolution of one second (kazoo's format).
 *
 * @example
 * ```ts
 * import { NonBlockingLease, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function sendReport(): Promise<void>;
 * const lease = new NonBlockingLease(zk, "/leases/report", 60_000, "host-a");
 * if (await lease.obtain()) {
 *   await sendReport(); // no other host does this within the minute
 * }
 * ```
 */
export class NonBlockingLease {
  /** The lease's path. */
  readonly path: string;
  /** How long an obtained lease lasts, ms. */
  readonly duration: number;
  /** Who asks: the same identifier renews, another one is refused until the end. */
  readonly identifier: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #now: () => number;
  #obtained = false;

  /**
   * Describes the lease; nothing is sent until `obtain()`.
   *
   * @param zk The client.
   * @param path The lease's path (created with parents when missing).
   * @param duration How long the lease lasts once obtained, ms (> 0).
   * @param identifier The holder's name, e.g. the host name (kazoo's default). Required: the
   *   recipes have no portable way to learn the host name.
   */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    duration: number,
    identifier: string,
    options: LeaseOptions = {},
  ) {
    validatePath(path);
    if (!(duration > 0) || !Number.isFinite(duration)) {
      throw new BadArgumentsError(
        `a lease duration must be a positive number of ms, not ${duration}`,
      );
    }
    if (typeof identifier !== "string" || identifier === "") {
      throw new BadArgumentsError("a lease needs a non-empty identifier");
    }
    this.#zk = zk;
    this.path = path;
    this.duration = duration;
    this.identifier = identifier;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the last `obtain()` got the lease. */
  get obtained(): boolean {
    return this.#obtained;
  }

  /**
   * Tries to obtain (or renew) the lease: true if this identifier now holds
   * it until `now + duration`; false if another holder's lease has not
   * ended, or the record has a newer format version (kazoo's rule, so an
   * upgraded client can take over). Waits only for the short lock that
   * guards the record.
   *
   * @example
   * ```ts
   * import type { NonBlockingLease } from "@zk/client";
   * declare const lease: NonBlockingLease;
   * const mine = await lease.obtain({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  async obtain(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const signal = options.signal;
    this.#obtained = false;
    const handle = await new Lock(this.#zk, this.path, this.identifier).acquire({ signal });
    try {
      this.#obtained = await retryUntil(() => this.#attempt(signal), signal);
      return this.#obtained;
    } finally {
      await whileConnected(this.#zk, handle.release().catch(() => {}));
    }
  }

  async #attempt(signal?: AbortSignal): Promise<boolean> {
    const holderPath = joinPath(this.path, HOLDER);
    const now = this.#now();
    let version: number | undefined;
    try {
      const { data, stat } = await this.#zk.get(holderPath, { signal });
      const current = decodeHolder(data, holderPath);
      if (current.version !== VERSION) return false;
      const end = typeof current.end === "string" ? parseEnd(current.end) : undefined;
      if (end === undefined) {
        throw new DataInconsistencyError(`bad lease end ${JSON.stringify(current.end)}`, {
          path: holderPath,
        });
      }
      if (current.holder !== this.identifier && now < end) return false;
      version = stat.version;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
    const record = encodeHolder({
      version: VERSION,
      holder: this.identifier,
      end: formatEnd(now + this.duration),
    });
    try {
      if (version === undefined) {
        await this.#zk.create(holderPath, record, { signal });
      } else {
        // kazoo deletes then creates; one transaction never leaves the record missing.
        await this.#zk.transaction().delete(holderPath, { version }).create(holderPath, record)
          .commit({ signal });
      }
    } catch (error) {
      if (error instanceof NodeExistsError || error instanceof TransactionError) {
        throw new ForceRetryError("the lease record changed meanwhile", { cause: error });
      }
      throw error;
    }
    return true;
  }
}

/**
 * A lease of which up to `count` holders get one each, compatible with
 * kazoo's `MultiNonBlockingLease`: it tries `{path}/0` … `{path}/{count-1}`
 * in turn with a {@linkcode NonBlockingLease} and stops at the first obtained.
 *
 * @example
 * ```ts
 * import { MultiNonBlockingLease, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function crawl(): Promise<void>;
 * const lease = new MultiNonBlockingLease(zk, 3, "/leases/crawlers", 60_000, "host-a");
 * if (await lease.obtain()) await crawl(); // at most 3 hosts crawl at once
 * ```
 */
export class MultiNonBlockingLease {
  /** How many leases there are. */
  readonly count: number;
  /** The parent of the numbered leases. */
  readonly path: string;
  /** How long an obtained lease lasts, ms. */
  readonly duration: number;
  /** Who asks. */
  readonly identifier: string;
  readonly #leases: readonly NonBlockingLease[];
  #obtained = false;

  /**
   * Describes the leases; nothing is sent until `obtain()`.
   *
   * @param count How many holders may hold a lease at once (a positive integer).
   */
  constructor(
    zk: ZooKeeperClientCore,
    count: number,
    path: string,
    duration: number,
    identifier: string,
    options: LeaseOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 1) {
      throw new BadArgumentsError(`count must be a positive integer, not ${count}`);
    }
    // The first one checks the other arguments.
    this.#leases = Array.from(
      { length: count },
      (_, i) => new NonBlockingLease(zk, joinPath(path, String(i)), duration, identifier, options),
    );
    this.count = count;
    this.path = path;
    this.duration = duration;
    this.identifier = identifier;
  }

  /** Whether the last `obtain()` got one of the leases. */
  get obtained(): boolean {
    return this.#obtained;
  }

  /**
   * Tries the leases in order; true as soon as one is obtained (or renewed).
   *
   * @example
   * ```ts
   * import type { MultiNonBlockingLease } from "@zk/client";
   * declare const lease: MultiNonBlockingLease;
   * if (await lease.obtain()) console.log("one of the few");
   * ```
   */
  async obtain(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.#obtained = false;
    for (const lease of this.#leases) {
      if (await lease.obtain(options)) {
        this.#obtained = true;
        break;
      }
    }
    return this.#obtained;
  }
}

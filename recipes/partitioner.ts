/**
 * Dividing a set among the members of a group, kazoo's `SetPartitioner` on
 * the same znodes: members join a {@linkcode ShallowParty} at `{path}/party`
 * (`{uuid4hex}-{identifier}`), and own each item of their share by holding a
 * {@linkcode Lock} at `{path}/locks/{item}`. Once the membership has been
 * stable for `timeBoundary` ms, every member computes the same split and
 * takes the locks of its share; when members join or leave, everyone
 * releases and splits again.
 *
 * States, as kazoo's: `ALLOCATING` (splitting and locking), `ACQUIRED` (the
 * share is ours), `RELEASE` (the membership or the connection changed: call
 * {@linkcode SetPartitioner.release} soon), `FAILURE` (finished, or a call
 * failed for good; make a new partitioner).
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import { BadArgumentsError, LockTimeoutError } from "../lib/errors.ts";
import { abortable, sleep } from "../lib/abort.ts";
import { joinPath } from "../lib/paths.ts";
import type { CallOptions } from "../lib/types.ts";
import { Lock, type LockHandle } from "./lock.ts";
import { ShallowParty } from "./party.ts";

/**
 * The states of a {@linkcode SetPartitioner} (kazoo's `PartitionState`).
 *
 * @example
 * ```ts
 * import { PartitionState, type SetPartitioner } from "@zk/client";
 * declare const partitioner: SetPartitioner;
 * if (partitioner.state === PartitionState.RELEASE) await partitioner.release();
 * ```
 */
export const PartitionState = {
  /** Waiting for a stable membership, then taking the locks of our share. */
  ALLOCATING: "ALLOCATING",
  /** Our share is locked: work on it. */
  ACQUIRED: "ACQUIRED",
  /** The membership or the connection changed: stop working and call `release()`. */
  RELEASE: "RELEASE",
  /** Finished or failed; the partitioner is done (see `error`). */
  FAILURE: "FAILURE",
} as const;
/** One of {@linkcode PartitionState}'s values. */
export type PartitionState = typeof PartitionState[keyof typeof PartitionState];

/**
 * Picks `identifier`'s share of `set` given every member's identifier. Every
 * member must compute disjoint shares that together cover the set from the
 * same inputs.
 */
export type PartitionFunction<T> = (
  identifier: string,
  members: readonly string[],
  set: readonly T[],
) => readonly T[];

/** Options of {@linkcode SetPartitioner}. */
export interface SetPartitionerOptions<T> {
  /** This member's identifier, unique in the group and a valid node name (default: a random uuid). */
  identifier?: string;
  /** How to split the set (default {@linkcode defaultPartitionFunction}). */
  partitionFunc?: PartitionFunction<T>;
  /** How long the membership must stay unchanged before splitting, ms (default 30 000, kazoo's). */
  timeBoundary?: number;
  /** How long one lock attempt waits before looking at the membership again, ms (default 1 000). */
  maxReactionTime?: number;
}

/** One acquired share, from {@linkcode SetPartitioner.acquisitions}. */
export interface Acquisition<T> {
  /** The items that are ours. */
  readonly items: readonly T[];
  /** Aborts when the share is no longer ours (the state left `ACQUIRED`). */
  readonly signal: AbortSignal;
}

/**
 * kazoo's split: sort the set and the members (as Python sorts: numbers by
 * value, strings by code point), and take every n-th item from our position.
 *
 * @example
 * ```ts
 * import { defaultPartitionFunction } from "@zk/client";
 * defaultPartitionFunction("b", ["a", "b"], [1, 2, 3, 4]); // [2, 4]
 * ```
 */
export function defaultPartitionFunction<T>(
  identifier: string,
  members: readonly string[],
  set: readonly T[],
): T[] {
  const workers = pythonSorted(members);
  const index = workers.indexOf(identifier);
  if (index < 0) return [];
  return pythonSorted(set).filter((_, i) => i % workers.length === index);
}

/**
 * Divides a set among the processes that run a partitioner on the same path,
 * so each item belongs to exactly one of them at a time.
 *
 * It starts working as soon as it is made. Drive it through its states, as
 * with kazoo, or let {@linkcode SetPartitioner.acquisitions} do it.
 *
 * @example
 * ```ts
 * import { SetPartitioner, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function consume(items: readonly string[], signal: AbortSignal): Promise<void>;
 * await using partitioner = new SetPartitioner(zk, "/work/queues", ["q1", "q2", "q3"], {
 *   identifier: "worker-1",
 *   timeBoundary: 5_000,
 * });
 * for await (const { items, signal } of partitioner.acquisitions()) {
 *   await consume(items, signal); // until the membership changes
 * }
 * ```
 *
 * @example The kazoo way
 * ```ts
 * import { PartitionState, SetPartitioner, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const queues: string[];
 * declare function drain(queue: string): Promise<void>;
 * const partitioner = new SetPartitioner(zk, "/work/queues", queues);
 * while (true) {
 *   const state = await partitioner.waitForAcquire();
 *   if (state === PartitionState.FAILURE) throw partitioner.error;
 *   if (state === PartitionState.RELEASE) await partitioner.release();
 *   if (state === PartitionState.ACQUIRED) for (const queue of partitioner) await drain(queue);
 * }
 * ```
 */
export class SetPartitioner<T = string> implements Iterable<T>, AsyncDisposable {
  /** The partitioner's node. */
  readonly path: string;
  /** This member's identifier. */
  readonly identifier: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #set: readonly T[];
  readonly #partitionFunc: PartitionFunction<T>;
  readonly #timeBoundary: number;
  readonly #maxReactionTime: number;
  readonly #party: ShallowParty;
  readonly #locksPath: string;
  #state: PartitionState = PartitionState.ALLOCATING;
  #stateId = 0;
  #error: unknown;
  #partition: readonly T[] = [];
  #handles: LockHandle[] = [];
  #round: Promise<void> = Promise.resolve();
  #roundController = new AbortController();
  #acquired: AbortController | undefined;
  #changeWaiters = new Set<() => void>();
  #finishing: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;
  #operations: Promise<void> = Promise.resolve();
  readonly #onState = (): void => {
    // Any change of connection state: at SUSPENDED our ephemeral locks may be
    // lost, at LOST they are. kazoo fails on LOST; we ask for a release, and
    // the party re-joins by itself.
    if (this.#state === PartitionState.FAILURE || this.#state === PartitionState.RELEASE) return;
    this.#setState(PartitionState.RELEASE);
  };

  /**
   * Joins the group at `path` and starts allocating in the background.
   *
   * @throws {BadArgumentsError} for an identifier or an item whose text is not a valid node name.
   */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    set: Iterable<T>,
    options: SetPartitionerOptions<T> = {},
  ) {
    this.#zk = zk;
    this.path = path;
    this.identifier = options.identifier ?? crypto.randomUUID().replaceAll("-", "");
    // Read once: `set` may be a one-shot iterable such as a generator.
    const items = [...set];
    for (const name of [this.identifier, ...items.map(String)]) {
      if (name.includes("/") || name === "" || name === "." || name === "..") {
        throw new BadArgumentsError(
          `set partitioner ${path}: ${JSON.stringify(name)} is no node name`,
        );
      }
    }
    const seen = new Set<string>();
    this.#set = items.filter((item) => !seen.has(String(item)) && !!seen.add(String(item)));
    this.#partitionFunc = options.partitionFunc ?? defaultPartitionFunction;
    this.#timeBoundary = options.timeBoundary ?? 30_000;
    this.#maxReactionTime = options.maxReactionTime ?? 1_000;
    this.#locksPath = joinPath(path, "locks");
    this.#party = new ShallowParty(zk, joinPath(path, "party"), this.identifier);
    zk.addListener(this.#onState);
    this.#startRound(true);
  }

  /** The current state. */
  get state(): PartitionState {
    return this.#state;
  }

  /** Why the partitioner failed, if it failed on an error (undefined after `finish()`). */
  get error(): unknown {
    return this.#error;
  }

  /** Our share while `ACQUIRED` (kazoo's `list(partitioner)`); empty otherwise. */
  get partition(): readonly T[] {
    return this.#state === PartitionState.ACQUIRED ? this.#partition : [];
  }

  /** Iterates over our share (kazoo's `for item in partitioner`). */
  [Symbol.iterator](): Iterator<T> {
    return this.partition[Symbol.iterator]();
  }

  /**
   * Waits while the state is `ALLOCATING`, then resolves with the state it
   * moved to (`ACQUIRED`, `RELEASE` or `FAILURE`). kazoo's
   * `wait_for_acquire(timeout)`: pass `signal: AbortSignal.timeout(ms)`.
   *
   * @example
   * ```ts
   * import type { SetPartitioner } from "@zk/client";
   * declare const partitioner: SetPartitioner;
   * const state = await partitioner.waitForAcquire({ signal: AbortSignal.timeout(30_000) });
   * ```
   */
  async waitForAcquire(options: CallOptions = {}): Promise<PartitionState> {
    while (this.#state === PartitionState.ALLOCATING) await this.#nextChange(options.signal);
    return this.#state;
  }

  /**
   * Gives our share back and allocates again (kazoo's `release_set()`); call
   * it in the `RELEASE` state. Resolves once the locks are released.
   *
   * @example
   * ```ts
   * import type { SetPartitioner } from "@zk/client";
   * declare const partitioner: SetPartitioner;
   * if (partitioner.state === "RELEASE") await partitioner.release();
   * ```
   */
  release(): Promise<void> {
    // Calls made while one is under way share it.
    return this.#releasing ??= this.#serially(async () => {
      if (this.#failed()) return;
      await this.#stopRound();
      if (!await this.#releaseLocks()) return await this.#failOut(this.#error);
      if (this.#failed()) return;
      this.#setState(PartitionState.ALLOCATING);
      this.#startRound(false);
    }).finally(() => this.#releasing = undefined);
  }

  /**
   * Releases our share, leaves the group and moves to `FAILURE` for good
   * (kazoo's `finish()`). Idempotent.
   *
   * @example
   * ```ts
   * import type { SetPartitioner } from "@zk/client";
   * declare const partitioner: SetPartitioner;
   * await partitioner.finish();
   * ```
   */
  finish(): Promise<void> {
    return this.#finishing ??= this.#serially(async () => {
      await this.#stopRound();
      await this.#releaseLocks();
      await this.#failOut(undefined);
    });
  }

  /** Runs `op` after every `release()` and `finish()` before it has ended. */
  #serially(op: () => Promise<void>): Promise<void> {
    const run = this.#operations.then(op);
    this.#operations = run.catch(() => {});
    return run;
  }

  /** Same as {@linkcode SetPartitioner.finish}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.finish();
  }

  /**
   * Drives the partitioner: yields each share it acquires with a signal that
   * aborts when the share stops being ours; when the consumer asks for the
   * next one, it releases and allocates again. Ends when the partitioner
   * fails or finishes, or `signal` aborts.
   *
   * @example
   * ```ts
   * import type { SetPartitioner } from "@zk/client";
   * declare const partitioner: SetPartitioner;
   * declare const stop: AbortSignal;
   * declare function handleItem(item: string, signal: AbortSignal): Promise<void>;
   * for await (const { items, signal } of partitioner.acquisitions({ signal: stop })) {
   *   await Promise.all(items.map((item) => handleItem(item, signal)));
   * }
   * ```
   */
  async *acquisitions(options: CallOptions = {}): AsyncIterableIterator<Acquisition<T>> {
    const signal = options.signal;
    try {
      while (true) {
        await this.waitForAcquire({ signal });
        const acquired = this.#acquired;
        if (this.#state === PartitionState.FAILURE) return;
        if (this.#state === PartitionState.RELEASE) {
          await this.release();
          continue;
        }
        if (acquired === undefined) continue;
        yield { items: this.#partition, signal: acquired.signal };
        while (this.#state === PartitionState.ACQUIRED) await this.#nextChange(signal);
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }

  #failed(): boolean {
    return this.#state === PartitionState.FAILURE;
  }

  #setState(state: PartitionState): void {
    this.#state = state;
    this.#stateId++;
    if (state === PartitionState.ACQUIRED) {
      this.#acquired = new AbortController();
    } else if (this.#acquired) {
      this.#acquired.abort(new DOMException(`partition of ${this.path}: ${state}`, "AbortError"));
      this.#acquired = undefined;
    }
    const waiters = [...this.#changeWaiters];
    this.#changeWaiters.clear();
    for (const wake of waiters) wake();
  }

  #nextChange(signal?: AbortSignal): Promise<void> {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => wake = resolve);
    this.#changeWaiters.add(wake);
    return abortable(changed, signal).finally(() => this.#changeWaiters.delete(wake));
  }

  #startRound(first: boolean): void {
    this.#roundController = new AbortController();
    const signal = this.#roundController.signal;
    const stateId = this.#stateId;
    this.#round = this.#allocate(first, stateId, signal).catch(async (error) => {
      if (signal.aborted) return;
      await this.#releaseLocks();
      await this.#failOut(error);
    });
  }

  async #stopRound(): Promise<void> {
    this.#roundController.abort();
    await this.#round;
  }

  async #allocate(first: boolean, stateId: number, signal: AbortSignal): Promise<void> {
    const zk = this.#zk;
    if (first) {
      await zk.retry(() => zk.ensurePath(this.#locksPath, { signal }), { maxTries: -1, signal });
      await this.#party.join({ signal });
    }
    while (true) {
      const { children, changed } = await patientChildren(
        zk,
        this.#party.path,
        this.#timeBoundary,
        signal,
      );
      if (this.#stateId !== stateId) return;
      const members = children.map((c) => c.slice(c.indexOf("-") + 1));
      // Not listed: our node is being re-created after an expiry; wait for it.
      if (!members.includes(this.identifier)) {
        await abortable(changed, signal);
        continue;
      }
      let membersChanged = false;
      void changed.then(() => {
        membersChanged = true;
        if (this.#state === PartitionState.ACQUIRED) this.#setState(PartitionState.RELEASE);
      });
      // "stop": the state moved on (release or finish will clean up);
      // "restart": the membership changed, so split again.
      const check = (): "stop" | "restart" | "go" =>
        this.#stateId !== stateId ? "stop" : membersChanged ? "restart" : "go";
      const share = [...this.#partitionFunc(this.identifier, members, this.#set)];
      let verdict = check();
      for (const item of share) {
        if (verdict !== "go") break;
        const lock = new Lock(zk, joinPath(this.#locksPath, String(item)), this.identifier);
        while (true) {
          try {
            // Bounded, so a change of membership is noticed while waiting.
            this.#handles.push(await lock.acquire({ signal, timeout: this.#maxReactionTime }));
            verdict = check();
            break;
          } catch (error) {
            if (!(error instanceof LockTimeoutError)) throw error;
            verdict = check();
            if (verdict !== "go") break;
          }
        }
      }
      if (verdict === "stop") return;
      if (verdict === "restart") {
        if (!await this.#releaseLocks()) throw this.#error;
        continue;
      }
      this.#partition = share;
      this.#setState(PartitionState.ACQUIRED);
      return;
    }
  }

  /** Releases every lock we hold; false if some could not be. */
  async #releaseLocks(): Promise<boolean> {
    const handles = this.#handles;
    this.#handles = [];
    const results = await Promise.allSettled(handles.map((h) => h.release()));
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        this.#handles.push(handles[i]);
        this.#error ??= r.reason;
      }
    });
    return this.#handles.length === 0;
  }

  async #failOut(error: unknown): Promise<void> {
    this.#error ??= error;
    this.#zk.removeListener(this.#onState);
    if (this.#state !== PartitionState.FAILURE) this.#setState(PartitionState.FAILURE);
    try {
      await this.#party.leave({ signal: undefined });
    } catch {
      // The client is closed or the session gone: the party node went with it.
    }
  }
}

/**
 * kazoo's `PatientChildrenWatch`: the children of `path` once they have not
 * changed for `boundary` ms, and a promise that resolves at their next change.
 */
async function patientChildren(
  zk: ZooKeeperClientCore,
  path: string,
  boundary: number,
  signal: AbortSignal,
): Promise<{ children: string[]; changed: Promise<void> }> {
  while (true) {
    let fired = false;
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => wake = resolve);
    const watch = (): void => {
      fired = true;
      wake();
    };
    const children = await zk.retry(() => zk.getChildren(path, { watch, signal }), {
      maxTries: -1,
      signal,
    });
    await sleep(boundary, signal);
    if (!fired) return { children, changed };
  }
}

function pythonSorted<T>(items: readonly T[]): T[] {
  return [...items].sort(pythonCompare);
}

/** Python 3's ordering for the types a set usually holds; other types by kind, then text. */
function pythonCompare(a: unknown, b: unknown): number {
  const numeric = (x: unknown): x is number | bigint | boolean =>
    typeof x === "number" || typeof x === "bigint" || typeof x === "boolean";
  if (numeric(a) && numeric(b)) {
    const x = typeof a === "boolean" ? Number(a) : a;
    const y = typeof b === "boolean" ? Number(b) : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  return compareCodePoints(String(a), String(b));
}

/** Compares by code point, as Python does (JavaScript's `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

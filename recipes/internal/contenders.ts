/**
 * What the queue-based recipes (locks, semaphore, election, lease) share:
 *
 * - kazoo's contender names, `{uuid4hex}{marker}{seq10}`, created
 *   "protected": after a connection loss the create may or may not have
 *   happened, so the retry first looks for a child with our uuid prefix
 *   instead of leaving an orphan that would block the queue;
 * - sequence parsing and predecessor choice by number, not by string;
 * - waiting on exactly one predecessor (a getData watch: no herd, and no
 *   exists watch leaked on a node that is already gone);
 * - a held node's handle, whose release keeps retrying the delete through
 *   connection trouble until it is done or the session is gone;
 * - the bookkeeping of an instance that holds at most one handle at a time.
 *
 * @module
 */

import { childrenOrEmpty, deleteIfPresent, deleteRetried, UNTIL_DONE } from "./tolerant.ts";
import type { OwnershipPolicy, ZooKeeperClientCore } from "../../lib/core.ts";
import { BadArgumentsError, isRetryable, LockTimeoutError, NoNodeError } from "../../lib/errors.ts";
import { joinPath } from "../../lib/paths.ts";
import { abortable, sleep, throwIfAborted } from "../../lib/abort.ts";
import { ForceRetryError } from "../../lib/retry.ts";
import type { Stat, State, WatchedEvent, Watcher } from "../../lib/types.ts";
import { type HeldSignal, heldSignal } from "./session_signal.ts";
import { forgetWatcher } from "./wakeup.ts";
import { inspectOwn, ownedByOldSession } from "./owned.ts";

/**
 * What holding a lock, a semaphore lease or leadership gives you: the node
 * that stands for it, a signal that says when holding it is no longer
 * certain, and a way to give it back.
 *
 * @example
 * ```ts
 * import { Lock, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function migrate(options: { signal: AbortSignal }): Promise<void>;
 * await using handle = await new Lock(zk, "/locks/db", "worker-1").acquire();
 * await migrate({ signal: handle.signal }); // stop when ownership is at risk
 * // released at the end of the scope
 * ```
 */
export interface LockHandle extends AsyncDisposable {
  /** The node that stands for the ownership (client path). */
  readonly path: string;
  /**
   * The node's creation zxid. For a lock it grows with every new holder, so it
   * serves as a fencing token for the resources the lock guards.
   */
  readonly czxid: bigint;
  /**
   * Aborts when ownership is no longer certain: the connection is SUSPENDED
   * (reason: `ConnectionLossError`; only under the `"suspended"` ownership
   * policy, the default), the session is LOST (`SessionExpiredError`), the
   * node was deleted by someone else (`NoNodeError`), or the handle was
   * released. A non-ephemeral node survives the session, so its handle
   * ignores connection states. An aborted signal never "un-aborts": after a
   * reconnect, release and acquire again.
   */
  readonly signal: AbortSignal;
  /** True once {@linkcode LockHandle.release} was called. */
  readonly released: boolean;
  /**
   * Gives the ownership back by deleting the node. Idempotent: every call
   * returns the same promise. The delete is retried through connection loss
   * until it succeeds, the node is gone, or the session ends (for an
   * ephemeral node). It keeps going even if nobody awaits it.
   */
  release(): Promise<void>;
}

/** A contender node this client created. */
export interface ContenderNode {
  /** The node's name (last path segment). */
  readonly name: string;
  /** The node's client path. */
  readonly path: string;
  /** The server's sequence number in its name. */
  readonly sequence: number;
  /** The session that owns it (0n for a persistent node). */
  readonly session: bigint;
  /** Its creation zxid. */
  readonly czxid: bigint;
  /** Whether it is ephemeral. */
  readonly ephemeral: boolean;
}

// ZooKeeper formats the counter with "%010d": ten digits, or a minus and
// nine once it wraps past 2^31 - 1.
const SEQUENCE = /(-\d{9}|\d{10})$/;

/** A fresh protected prefix: 32 hex digits of a random uuid, then `marker` (kazoo's scheme). */
function newPrefix(marker: string): string {
  return crypto.randomUUID().replaceAll("-", "") + marker;
}

/** The sequence number at the end of a sequential node's name, if it has one. */
function sequenceOf(name: string): number | undefined {
  const match = SEQUENCE.exec(name);
  return match ? Number(match[1]) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * kazoo's contender matcher: one of `markers` followed by the sequence at
 * the end of the name (ten digits, or a minus and nine after the server's
 * counter wraps; kazoo misses those). The markers are literal text, not
 * regular expressions.
 */
export function contenderPattern(markers: readonly string[]): RegExp {
  return new RegExp(`(?:${markers.map(escapeRegExp).join("|")})(-\\d{9}|\\d{10})$`);
}

/** The children matching `pattern`, ordered by sequence number. */
export function sortContenders(
  children: readonly string[],
  pattern: RegExp,
): { name: string; sequence: number }[] {
  const found: { name: string; sequence: number }[] = [];
  for (const name of children) {
    const match = pattern.exec(name);
    if (match) found.push({ name, sequence: Number(match[1]) });
  }
  return found.sort((a, b) => a.sequence - b.sequence);
}

/**
 * The contender `own` waits for: among the children matching `conflicts`
 * (the kinds that exclude it), the one with the highest sequence number
 * below its own. `undefined` when none is below it: it holds.
 */
export function predecessor(
  children: readonly string[],
  own: { name: string; sequence: number },
  conflicts: RegExp,
): string | undefined {
  let best: { name: string; sequence: number } | undefined;
  for (const name of children) {
    if (name === own.name) continue;
    const match = conflicts.exec(name);
    if (!match) continue;
    const sequence = Number(match[1]);
    if (sequence < own.sequence && (best === undefined || sequence > best.sequence)) {
      best = { name, sequence };
    }
  }
  return best?.name;
}

/**
 * The signal of one blocking attempt: the caller's `signal`, a `timeout` (ms)
 * that aborts with a {@linkcode LockTimeoutError}, and `cancel`. Dispose it
 * to clear the timer.
 */
function attemptSignal(
  what: string,
  options: { signal?: AbortSignal; timeout?: number },
  cancel: AbortSignal,
): { signal: AbortSignal } & Disposable {
  const timeout = options.timeout;
  if (timeout !== undefined && !(timeout >= 0)) {
    throw new BadArgumentsError(`timeout must be a number of ms >= 0, not ${timeout}`);
  }
  const signals = [cancel];
  if (options.signal) signals.push(options.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeout !== undefined) {
    const timedOut = new AbortController();
    signals.push(timedOut.signal);
    timer = setTimeout(
      () => timedOut.abort(new LockTimeoutError(`${what}: not acquired within ${timeout} ms`)),
      timeout,
    );
  }
  return {
    signal: AbortSignal.any(signals),
    [Symbol.dispose]: () => clearTimeout(timer),
  };
}

/**
 * Runs `attempt` until it resolves, again after each transient error or
 * {@linkcode ForceRetryError} (with a growing pause), and rejects with
 * `signal.reason` once `signal` aborts. Unlike `RetryPolicy.run`, which stops
 * waiting for an attempt on abort, it always waits for the attempt to end,
 * so an abandoned attempt never goes on working behind the caller's back
 * (each attempt is expected to pass `signal` to what it awaits).
 */
export async function retryUntil<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  let delay = 20;
  while (true) {
    if (signal?.aborted) throw signal.reason;
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!(isRetryable(error) || error instanceof ForceRetryError)) throw error;
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 1000);
  }
}

function toNode(path: string, stat: Stat, ephemeral: boolean): ContenderNode {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return {
    name,
    path,
    sequence: sequenceOf(name) ?? 0,
    session: stat.ephemeralOwner,
    czxid: stat.czxid,
    ephemeral,
  };
}

/** An ephemeral node made by a session other than the client's current one. */
export function isStale(zk: Pick<ZooKeeperClientCore, "sessionId">, node: ContenderNode): boolean {
  return node.ephemeral && ownedByOldSession(zk, node.session);
}

/**
 * A protected ephemeral-sequential create under `dir`, named
 * `{uuid}{marker}{seq}`. Call {@linkcode ProtectedCreate.create} again after
 * a transient failure: it first adopts the node an earlier attempt may have
 * made. {@linkcode ProtectedCreate.cleanup} removes every node of this prefix.
 */
export class ProtectedCreate {
  /** `{uuid}{marker}`: identifies our nodes among the children. */
  readonly prefix: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #dir: string;
  readonly #data: Uint8Array;
  readonly #ephemeral: boolean;
  #tried = false;

  /** Prepares a create under `dir`; nothing is sent yet. */
  constructor(
    zk: ZooKeeperClientCore,
    dir: string,
    marker: string,
    data: Uint8Array,
    ephemeral: boolean,
  ) {
    this.#zk = zk;
    this.#dir = dir;
    this.#data = data;
    this.#ephemeral = ephemeral;
    this.prefix = newPrefix(marker);
  }

  /** Creates the node (and missing parents), or adopts the one an earlier attempt made. */
  async create(signal?: AbortSignal): Promise<ContenderNode> {
    if (this.#tried) {
      const found = await this.#findOwn(signal);
      if (found) return found;
    }
    this.#tried = true;
    const { path, stat } = await this.#zk.create(joinPath(this.#dir, this.prefix), this.#data, {
      ephemeral: this.#ephemeral,
      sequential: true,
      makeParents: true,
      includeStat: true,
      signal,
    });
    return toNode(path, stat, this.#ephemeral);
  }

  /**
   * Our node from an earlier attempt, if the server made it. One from an
   * older session is deleted rather than adopted: it dies with that session.
   */
  async #findOwn(signal?: AbortSignal): Promise<ContenderNode | undefined> {
    const children = await childrenOrEmpty(this.#zk, this.#dir, signal);
    const found: ContenderNode[] = [];
    for (const name of children) {
      if (!name.startsWith(this.prefix)) continue;
      const path = joinPath(this.#dir, name);
      if (this.#ephemeral) {
        // One of an older session is deleted: it dies with that session.
        const own = await inspectOwn(this.#zk, path, { signal });
        if (own.state === "current") found.push(toNode(path, own.stat, true));
        continue;
      }
      const stat = await this.#zk.exists(path, { signal });
      if (stat !== null) found.push(toNode(path, stat, false));
    }
    found.sort((a, b) => a.sequence - b.sequence);
    // Two of ours would mean two places in the queue; keep the first.
    for (const extra of found.slice(1)) await deleteIfPresent(this.#zk, extra.path, signal);
    return found[0];
  }

  /**
   * Deletes every node with our prefix, retrying through connection loss.
   * Never rejects: this is the best effort that keeps a failed or abandoned
   * attempt from leaving a node behind.
   */
  async cleanup(): Promise<void> {
    if (!this.#tried) return;
    await UNTIL_DONE.run(async () => {
      const children = await this.#zk.getChildren(this.#dir);
      for (const name of children) {
        if (name.startsWith(this.prefix)) {
          await deleteRetried(this.#zk, joinPath(this.#dir, name), { ephemeral: this.#ephemeral });
        }
      }
    }).catch(() => {});
  }
}

/**
 * Waits for `work` while the client stays CONNECTED; stops waiting (the
 * work goes on in the background) once it leaves that state, since the
 * work would then wait for a reconnect. `work` must not reject.
 */
export async function whileConnected(
  zk: Pick<ZooKeeperClientCore, "state" | "addListener" | "removeListener">,
  work: Promise<void>,
): Promise<void> {
  if (zk.state !== "CONNECTED") return;
  let listener: ((state: State) => void) | undefined;
  const left = new Promise<void>((resolve) => {
    listener = (state) => {
      if (state !== "CONNECTED") resolve();
    };
    zk.addListener(listener);
  });
  try {
    await Promise.race([work, left]);
  } finally {
    if (listener) zk.removeListener(listener);
  }
}

/**
 * One wake-up for a waiting recipe: by its one-shot watch (pass
 * {@linkcode SessionWakeup.watcher} to a read), or by a session change (a reconnect
 * or LOST, after which the waiter must look again). Dispose it to remove the
 * state listener.
 */
export class SessionWakeup implements Disposable {
  readonly #zk: Pick<ZooKeeperClientCore, "addListener" | "removeListener">;
  readonly #woken: Promise<void>;
  #resolve!: () => void;
  #watchFired = false;
  readonly #listener = (state: State): void => {
    if (state !== "SUSPENDED") this.#resolve();
  };
  /** The watcher to register; its first event wakes the waiter. */
  readonly watcher: Watcher = (_event: WatchedEvent): void => {
    this.#watchFired = true;
    this.#resolve();
  };

  /** Starts listening to `zk`'s state. */
  constructor(zk: Pick<ZooKeeperClientCore, "addListener" | "removeListener">) {
    this.#zk = zk;
    this.#woken = new Promise<void>((resolve) => this.#resolve = resolve);
    zk.addListener(this.#listener);
  }

  /** Whether the watch fired (so no watcher is left registered). */
  get watchFired(): boolean {
    return this.#watchFired;
  }

  /** Resolves on the wake-up; rejects with `signal.reason` if it aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    return abortable(this.#woken, signal);
  }

  /** Stops listening to the state. */
  [Symbol.dispose](): void {
    this.#zk.removeListener(this.#listener);
  }
}

/**
 * Waits until `path` (the one predecessor) changes or goes, the session
 * changes, or `signal` aborts. Resolves at once if it is already gone.
 */
export async function waitForDeletion(
  zk: ZooKeeperClientCore,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  using wake = new SessionWakeup(zk);
  try {
    await zk.get(path, { watch: wake.watcher, signal });
  } catch (error) {
    if (error instanceof NoNodeError) return;
    throw error;
  }
  try {
    await wake.wait(signal);
  } finally {
    if (!wake.watchFired) await forgetWatcher(zk, path, wake.watcher, "data");
  }
}

/**
 * The {@linkcode LockHandle} of a node this client holds. Its signal follows
 * the session (for an ephemeral node) and a watch on the node itself.
 */
class HeldNode implements LockHandle {
  readonly #zk: ZooKeeperClientCore;
  readonly #node: ContenderNode;
  readonly #held: HeldSignal;
  readonly #onRelease: (() => void) | undefined;
  #release: Promise<void> | undefined;

  private constructor(
    zk: ZooKeeperClientCore,
    node: ContenderNode,
    what: string,
    policy: OwnershipPolicy,
    onRelease?: () => void,
  ) {
    this.#zk = zk;
    this.#node = node;
    this.#onRelease = onRelease;
    if (node.ephemeral) {
      this.#held = heldSignal(zk, what, policy);
    } else {
      const controller = new AbortController();
      this.#held = {
        signal: controller.signal,
        abort: (reason?: unknown) => {
          if (!controller.signal.aborted) controller.abort(reason);
        },
        [Symbol.dispose]: () => {},
      };
    }
  }

  /**
   * A handle for `node`, with a watch on the node so that its deletion by
   * someone else aborts the signal. `onRelease` runs when release starts.
   */
  static async hold(
    zk: ZooKeeperClientCore,
    node: ContenderNode,
    what: string,
    policy: OwnershipPolicy,
    onRelease?: () => void,
  ): Promise<HeldNode> {
    const handle = new HeldNode(zk, node, what, policy, onRelease);
    await handle.#watchNode(what);
    return handle;
  }

  async #watchNode(what: string): Promise<void> {
    const watcher: Watcher = (event) => {
      if (this.#release !== undefined || this.#held.signal.aborted) return;
      if (event.type === "DELETED") {
        this.#held.abort(
          new NoNodeError(`${what}: node deleted by someone else`, {
            path: this.#node.path,
          }),
        );
      } else if (event.type !== "NONE") {
        this.#watchNode(what).catch(() => {});
      }
    };
    try {
      const stat = await this.#zk.exists(this.#node.path, { watch: watcher });
      if (stat === null) {
        this.#held.abort(new NoNodeError(`${what}: node is gone`, { path: this.#node.path }));
      }
    } catch {
      // Connection trouble: the session signal has aborted already.
    }
  }

  /** @inheritdoc */
  get path(): string {
    return this.#node.path;
  }
  /** @inheritdoc */
  get czxid(): bigint {
    return this.#node.czxid;
  }
  /** @inheritdoc */
  get signal(): AbortSignal {
    return this.#held.signal;
  }
  /** @inheritdoc */
  get released(): boolean {
    return this.#release !== undefined;
  }

  /** @inheritdoc */
  release(): Promise<void> {
    if (this.#release === undefined) {
      this.#held.abort(new DOMException(`released ${this.#node.path}`, "AbortError"));
      this.#onRelease?.();
      this.#release = deleteRetried(this.#zk, this.#node.path, {
        ephemeral: this.#node.ephemeral,
      }).then(() => {});
    }
    return this.#release;
  }

  /** Releases; see {@linkcode HeldNode.release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** `policy` if it is one, else a {@linkcode BadArgumentsError}. */
export function checkPolicy(policy: OwnershipPolicy | undefined): OwnershipPolicy | undefined {
  if (policy !== undefined && policy !== "suspended" && policy !== "lost") {
    throw new BadArgumentsError(
      `ownershipPolicy must be "suspended" or "lost", not ${String(policy)}`,
    );
  }
  return policy;
}

/**
 * What a lock or semaphore instance keeps between calls: the handle it
 * holds, and the controller of the one attempt under way, which
 * {@linkcode Holder.cancel} aborts. The recipe refuses reentry by checking
 * {@linkcode Holder.isAcquired} and {@linkcode Holder.acquiring} first.
 */
export class Holder {
  readonly #zk: ZooKeeperClientCore;
  readonly #path: string;
  readonly #what: string;
  readonly #policy: OwnershipPolicy | undefined;
  #handle: LockHandle | undefined;
  #cancel: AbortController | undefined;

  /**
   * For the recipe `kind` (`"lock"`, `"semaphore"`) on `path`; its handles
   * follow `policy`, or the client's `ownershipPolicy` when left out.
   */
  constructor(zk: ZooKeeperClientCore, kind: string, path: string, policy?: OwnershipPolicy) {
    this.#zk = zk;
    this.#path = path;
    this.#what = `${kind} ${path}`;
    this.#policy = checkPolicy(policy);
  }

  /** True while a handle is held (acquired and not yet released). */
  get isAcquired(): boolean {
    return this.#handle !== undefined && !this.#handle.released;
  }

  /** True while an attempt is under way. */
  get acquiring(): boolean {
    return this.#cancel !== undefined;
  }

  /** Makes the attempt under way reject (with an `AbortError`). */
  cancel(): void {
    this.#cancel?.abort(new DOMException(`cancelled acquiring ${this.#path}`, "AbortError"));
  }

  /** Releases the held handle, if any. */
  release(): Promise<void> {
    return this.#handle?.release() ?? Promise.resolve();
  }

  /**
   * Runs `attempt` with the signal of `options` (see {@linkcode attemptSignal})
   * and {@linkcode Holder.cancel}, and holds the node it resolves with; `null`
   * is passed on. When it fails, `cleanup` removes what it may have left
   * (awaited while connected, in the background otherwise).
   */
  async acquire(
    options: { signal?: AbortSignal; timeout?: number },
    attempt: (signal: AbortSignal) => Promise<ContenderNode | null>,
    cleanup: () => Promise<void>,
  ): Promise<LockHandle | null> {
    throwIfAborted(options.signal);
    const cancel = new AbortController();
    using attempting = attemptSignal(this.#what, options, cancel.signal);
    this.#cancel = cancel;
    try {
      const node = await attempt(attempting.signal);
      if (node === null) return null;
      const policy = this.#policy ?? this.#zk.ownershipPolicy;
      const handle = await HeldNode.hold(this.#zk, node, this.#what, policy, () => {
        if (this.#handle === handle) this.#handle = undefined;
      });
      this.#handle = handle;
      return handle;
    } catch (error) {
      await whileConnected(this.#zk, cleanup());
      throw error;
    } finally {
      this.#cancel = undefined;
    }
  }
}

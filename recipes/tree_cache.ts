/**
 * `TreeCache`: a local copy of a subtree (data, stat and children of every
 * node) that follows the server through changes, reconnects and session
 * expiry, in the spirit of kazoo's `TreeCache` and Curator's `CuratorCache`.
 *
 * How it stays right:
 * - On ZooKeeper 3.6+ one persistent recursive watch on the root tells it
 *   which nodes changed; older servers get kazoo's one-shot data and child
 *   watches on every node.
 * - A watch event never changes the cache by itself: it only makes the cache
 *   read the node. The cache changes only from read replies, applied in the
 *   order they were sent. One session's replies come back in that order, each
 *   seeing a state at least as new as the one before (the server answers a
 *   session's requests in order; a reconnect never goes to a server behind
 *   the last zxid seen), so every node's cached history follows the server's.
 * - Persistent watches get no catch-up events after a reconnect, and expiry
 *   drops one-shot watches, so every reconnect re-reads the whole tree and
 *   reports only what differs (by `czxid`, `mzxid` and the children lists).
 * - Memory: nodes are ids into typed arrays and their data sits in shared
 *   chunks (`internal/tree_cache_nodes.ts`), about 165 bytes a node with 32
 *   bytes of data on Deno, where objects per node cost over 600.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  ClientClosedError,
  isRetryable,
  MarshallingError,
  NoNodeError,
  NoWatcherError,
  UnimplementedError,
  ZooKeeperError,
} from "../lib/errors.ts";
import { callListener, EventQueue } from "../lib/events.ts";
import { basename, dirname, joinPath, validatePath } from "../lib/paths.ts";
import type { Stat, State, WatchedEvent, Watcher } from "../lib/types.ts";
import { TreeCacheNodes } from "./internal/tree_cache_nodes.ts";

/**
 * The kinds of {@linkcode TreeCacheEvent}.
 *
 * @example
 * ```ts
 * import { type TreeCache, TreeCacheEventType } from "@zk/client";
 * declare const cache: TreeCache;
 * cache.addListener((e) => {
 *   if (e.type === TreeCacheEventType.NODE_ADDED) console.log("new node", e.path);
 * });
 * ```
 */
export const TreeCacheEventType = {
  /** A node appeared (at start: every node found). */
  NODE_ADDED: "NODE_ADDED",
  /** A node's data changed (a new `mzxid`). */
  NODE_UPDATED: "NODE_UPDATED",
  /** A node went; `data` and `stat` are the last ones cached. */
  NODE_REMOVED: "NODE_REMOVED",
  /** The first full read is done: the cache mirrors the tree. Sent once. */
  INITIALIZED: "INITIALIZED",
  /** The connection dropped; the cache may be stale until it reconnects. */
  CONNECTION_SUSPENDED: "CONNECTION_SUSPENDED",
  /** Connected again (same or new session); a full re-read follows. */
  CONNECTION_RECONNECTED: "CONNECTION_RECONNECTED",
  /** The session expired (or the client closed); a new session re-reads the tree. */
  CONNECTION_LOST: "CONNECTION_LOST",
} as const;
/** One of {@linkcode TreeCacheEventType}'s values. */
export type TreeCacheEventType = typeof TreeCacheEventType[keyof typeof TreeCacheEventType];

/** Something that happened to a {@linkcode TreeCache}. */
export interface TreeCacheEvent {
  /** What happened. */
  readonly type: TreeCacheEventType;
  /** The node's path (the cache's root for the connection events and INITIALIZED). */
  readonly path: string;
  /**
   * The node's data (node events, unless `dataMode` is `"stat"`): a view into
   * the cache's shared storage, as {@linkcode TreeCacheNode.data}.
   */
  readonly data?: Uint8Array;
  /** The node's metadata (node events). */
  readonly stat?: Stat;
}

/**
 * A cached node, built on each `get()`: the cache keeps nodes packed, not as
 * objects, so a big tree costs little memory.
 */
export interface TreeCacheNode {
  /**
   * The data; absent when `dataMode` is `"stat"`. A view into storage the
   * cache shares between nodes (its bytes never change; holding it keeps up
   * to 16 KiB of that storage alive): copy it to keep it for long.
   */
  readonly data?: Uint8Array;
  /** The metadata. */
  readonly stat: Stat;
}

/** A listener of {@linkcode TreeCache.addListener}. */
export type TreeCacheListener = (event: TreeCacheEvent) => void | Promise<void>;

/** How a {@linkcode TreeCache} watches the tree. */
export type TreeCacheWatchMode = "persistent" | "oneShot";

/** Options of {@linkcode TreeCache}. */
export interface TreeCacheOptions {
  /**
   * Deepest level cached: 0 is the root alone, 1 the root and its children,
   * and so on (default: no limit). With per-node watches a node at this
   * level has no child watch, so the children fields of its stat
   * (`numChildren`, `cversion`, `pzxid`) are refreshed only with its data.
   */
  maxDepth?: number;
  /** `"data"` (default) keeps data and stat; `"stat"` keeps only the stat, for big trees. */
  dataMode?: "data" | "stat";
  /**
   * `"auto"` (default) uses one persistent recursive watch when the server
   * has them (3.6+) and one-shot watches on every node otherwise;
   * `"persistent"` or `"oneShot"` forces one.
   */
  watchMode?: "auto" | TreeCacheWatchMode;
  /** Receives listener exceptions and read errors that are not about the connection (default `console.error`). */
  onError?: (error: unknown) => void;
}

/** A read's outcome, applied to the cache in the order the reads were sent. */
interface Observation {
  path: string;
  /** The node does not exist. */
  missing: boolean;
  stat?: Stat;
  data?: Uint8Array;
  children?: string[];
  /** Re-read every listed child, cached or not (a resynchronisation). */
  deep: boolean;
  /** Came from `exists`: a missing root needs no second exists watch. */
  fromExists?: boolean;
}

/** A read in flight, in the order it was sent; its outcome is kept until its turn. */
interface Slot {
  /** The full read it was sent in. */
  readonly epoch: number;
  /** The path whose watch event it answers (counted in `#unsettled`). */
  readonly answers: string | undefined;
  done: boolean;
  observation: Observation | undefined;
  error: unknown;
}

/** Bits of `#watched`. */
const DATA_WATCH = 1;
const CHILD_WATCH = 2;

/**
 * A cache of the subtree at `path`: `get(path)` and `children(path)` answer
 * locally, and every change is reported as a {@linkcode TreeCacheEvent} to
 * listeners and to `for await` loops. On ZooKeeper 3.6+ it holds a single
 * persistent recursive watch; older servers get per-node one-shot watches.
 * After any reconnect or expiry it re-reads the tree and reports only real
 * differences, each node's events in the server's order. `close()` removes
 * its watches and listeners.
 *
 * @example Listener
 * ```ts
 * import { connect, TreeCache } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181");
 * await using cache = new TreeCache(zk, "/services");
 * cache.addListener((e) => console.log(e.type, e.path));
 * await cache.start(); // resolves after INITIALIZED
 * console.log(cache.children("/services"), cache.get("/services/web")?.stat.version);
 * ```
 *
 * @example Async iteration
 * ```ts
 * import { TreeCache, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const cache = new TreeCache(zk, "/config", { maxDepth: 2, dataMode: "stat" });
 * const events = cache.events({ signal: AbortSignal.timeout(60_000) });
 * await cache.start();
 * for await (const event of events) console.log(event.type, event.path);
 * await cache.close();
 * ```
 */
export class TreeCache implements AsyncIterable<TreeCacheEvent>, AsyncDisposable {
  /** The root of the cached subtree. */
  readonly path: string;
  /** The deepest level cached (`Infinity` for no limit). */
  readonly maxDepth: number;
  /** Whether data is cached (`"data"`) or only stats (`"stat"`). */
  readonly dataMode: "data" | "stat";

  readonly #zk: ZooKeeperClientCore;
  readonly #requestedMode: "auto" | TreeCacheWatchMode;
  readonly #onError: (error: unknown) => void;
  /** Frames are views into the socket's chunks: the table copies what it keeps. */
  readonly #nodes: TreeCacheNodes;
  readonly #listeners = new Set<TreeCacheListener>();
  readonly #queues = new Set<EventQueue<TreeCacheEvent>>();
  /** Where the root's descendants start: `path + "/"`, or `"/"` for the root `/`. */
  readonly #prefix: string;
  #mode: TreeCacheWatchMode | undefined;
  /** Reads in the order they were sent; `#head` is the next to apply. */
  #slots: (Slot | undefined)[] = [];
  #head = 0;
  /** Reads sent and not applied yet. */
  #outstanding = 0;
  /** Counts full reads; a node read in an older one may be a stale incarnation. */
  #epoch = 0;
  /**
   * Paths with a watch event whose read is not applied yet: such a node may
   * already be gone (or replaced), so nothing is added under it meanwhile.
   */
  readonly #unsettled = new Map<string, number>();
  /** Set while handling an event: the next read issued answers it. */
  #answering: string | undefined;
  /** A reply was lost to the connection: the cache may be stale until the next full read. */
  #dirty = false;
  #watchAdded = false;
  #initialized = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #initWaiters: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #idleWaiters: (() => void)[] = [];
  #lastState: State | undefined;
  /**
   * Paths where a one-shot data (DATA_WATCH) or child (CHILD_WATCH) watch of
   * ours may be registered (oneShot mode): one map of bits, not two sets.
   */
  readonly #watched = new Map<string, number>();

  /** Makes a cache of the subtree at `path`; nothing is read until {@linkcode start}. */
  constructor(zk: ZooKeeperClientCore, path: string, options: TreeCacheOptions = {}) {
    validatePath(path);
    const maxDepth = options.maxDepth ?? Infinity;
    if (!(maxDepth === Infinity || (Number.isInteger(maxDepth) && maxDepth >= 0))) {
      throw new BadArgumentsError(`maxDepth must be a non-negative integer (got ${maxDepth})`);
    }
    const dataMode = options.dataMode ?? "data";
    if (dataMode !== "data" && dataMode !== "stat") {
      throw new BadArgumentsError(`dataMode must be "data" or "stat" (got ${dataMode})`);
    }
    const watchMode = options.watchMode ?? "auto";
    if (!["auto", "persistent", "oneShot"].includes(watchMode)) {
      throw new BadArgumentsError(
        `watchMode must be "auto", "persistent" or "oneShot" (got ${watchMode})`,
      );
    }
    this.#zk = zk;
    this.path = path;
    this.maxDepth = maxDepth;
    this.dataMode = dataMode;
    this.#requestedMode = watchMode;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#prefix = path === "/" ? "/" : path + "/";
    this.#nodes = new TreeCacheNodes(path);
  }

  /** The watch mode in use, once {@linkcode start} has chosen it. */
  get watchMode(): TreeCacheWatchMode | undefined {
    return this.#mode;
  }

  /** True once INITIALIZED was sent. */
  get initialized(): boolean {
    return this.#initialized;
  }

  /** The number of cached nodes. */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * Starts caching; resolves after the first full read (INITIALIZED).
   * Rejects if `signal` aborts (the cache is then closed), if the cache is
   * closed first, or if the server lacks persistent watches and `watchMode`
   * is `"persistent"`. A cache starts once; calling again returns the same
   * promise.
   */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#starting ??= this.#start(options.signal);
    return this.#starting;
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    if (this.#closed) throw new ClientClosedError("the TreeCache is closed", { path: this.path });
    signal?.throwIfAborted();
    const initialized = new Promise<void>((resolve, reject) => {
      this.#initWaiters = { resolve, reject };
    });
    initialized.catch(() => {});
    const onAbort = () => {
      this.#initWaiters?.reject(signal?.reason);
      void this.close();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.#lastState = this.#zk.state;
      this.#zk.addListener(this.#onState);
      // No signal for the addWatch itself: abandoning it in flight would leave
      // a server watch the client does not know about.
      const mode = await this.#addWatch();
      signal?.throwIfAborted();
      if (this.#closed) {
        throw new ClientClosedError("the TreeCache was closed", { path: this.path });
      }
      this.#mode = mode;
      // This first read is a full one: whatever a reconnect meanwhile lost.
      this.#dirty = false;
      this.#epoch++;
      this.#readNode(this.path, true);
      await initialized;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Adds the recursive watch (retrying through reconnects), or settles for one-shot watches. */
  async #addWatch(): Promise<TreeCacheWatchMode> {
    if (this.#requestedMode === "oneShot") return "oneShot";
    while (true) {
      if (this.#closed) return "persistent";
      try {
        await this.#zk.addWatch(this.path, this.#onEvent, { recursive: true });
        this.#watchAdded = true;
        return "persistent";
      } catch (error) {
        if (error instanceof UnimplementedError && this.#requestedMode === "auto") return "oneShot";
        if (!isRetryable(error)) throw error;
      }
    }
  }

  // ---- reading -----------------------------------------------------------

  #depth(path: string): number {
    if (path === this.path) return 0;
    let depth = 0;
    for (let i = this.#prefix.length - 1; i < path.length; i++) {
      if (path.charCodeAt(i) === 47) depth++;
    }
    return depth;
  }

  #inTree(path: string): boolean {
    return path === this.path || path.startsWith(this.#prefix);
  }

  /**
   * Queues a read. `request` must send its request(s) synchronously, so the
   * slot order is the order on the wire; the observation it resolves to is
   * applied once every earlier slot has been.
   */
  #issue(request: Promise<Observation>): void {
    const answers = this.#answering;
    this.#answering = undefined;
    if (answers !== undefined) {
      this.#unsettled.set(answers, (this.#unsettled.get(answers) ?? 0) + 1);
    }
    const slot: Slot = {
      epoch: this.#epoch,
      answers,
      done: false,
      observation: undefined,
      error: undefined,
    };
    this.#slots.push(slot);
    this.#outstanding++;
    request.then(
      (observation) => {
        slot.observation = observation;
        slot.done = true;
        this.#drain();
      },
      (error: unknown) => {
        slot.error = error;
        slot.done = true;
        this.#drain();
      },
    );
  }

  #drain(): void {
    const slots = this.#slots;
    while (this.#head < slots.length) {
      const slot = slots[this.#head];
      if (!slot?.done) break;
      slots[this.#head++] = undefined;
      this.#outstanding--;
      if (!this.#closed) this.#settle(slot);
    }
    if (this.#head === slots.length) {
      this.#slots = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > slots.length) {
      this.#slots = slots.slice(this.#head);
      this.#head = 0;
    }
    if (this.#outstanding === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
      if (!this.#initialized && !this.#dirty && !this.#closed && this.#mode !== undefined) {
        this.#initialized = true;
        this.#emit({ type: "INITIALIZED", path: this.path });
        this.#initWaiters?.resolve();
      }
    }
  }

  /** Applies a read's outcome; its turn has come. */
  #settle(slot: Slot): void {
    const answers = slot.answers;
    if (answers !== undefined) {
      const left = this.#unsettled.get(answers)! - 1;
      if (left === 0) this.#unsettled.delete(answers);
      else this.#unsettled.set(answers, left);
    }
    if (slot.observation !== undefined) this.#apply(slot.observation, slot.epoch);
    else this.#failed(slot.error);
  }

  #failed(error: unknown): void {
    if (isRetryable(error)) {
      // The reply is lost; the full read after the reconnect makes up for it.
      this.#dirty = true;
    } else if (error instanceof ClientClosedError) {
      this.#dirty = true;
      this.#initWaiters?.reject(error);
    } else {
      this.#onError(error);
    }
  }

  /** The node's stat, data (in data mode) and children (above maxDepth). */
  #readNode(path: string, deep: boolean): void {
    const zk = this.#zk;
    const listChildren = this.#depth(path) < this.maxDepth;
    if (this.#mode === "oneShot") {
      const watch = this.#onEvent;
      const data = zk.get(path, { watch }).then((r) => {
        this.#markWatched(path, DATA_WATCH);
        return r;
      });
      const children = listChildren
        ? zk.getChildren(path, { watch, includeStat: true }).then((r) => {
          this.#markWatched(path, CHILD_WATCH);
          return r;
        })
        : undefined;
      this.#issue(this.#combine(path, deep, data, children));
      return;
    }
    if (this.dataMode === "data") {
      if (!listChildren) {
        this.#issue(this.#observeData(path, deep, zk.get(path)));
        return;
      }
      const reads = zk.multiRead([{ op: "get", path }, { op: "getChildren", path }]);
      this.#issue(reads.then(([node, children]): Observation => {
        if (node instanceof NoNodeError || children instanceof NoNodeError) {
          return { path, missing: true, deep };
        }
        if (node instanceof ZooKeeperError) throw node;
        if (children instanceof ZooKeeperError) throw children;
        if (!("stat" in node) || !Array.isArray(children)) {
          throw new MarshallingError(`unexpected multiRead result for ${path}`);
        }
        return { path, missing: false, stat: node.stat, data: node.data, children, deep };
      }));
      return;
    }
    if (!listChildren) {
      this.#issue(this.#observeStat(path, deep, zk.exists(path)));
      return;
    }
    this.#issue(
      zk.getChildren(path, { includeStat: true }).then(
        ({ children, stat }): Observation => ({ path, missing: false, stat, children, deep }),
        (error) => this.#missingOr(error, path, deep),
      ),
    );
  }

  /** One-shot mode: a get and a getChildren sent back to back, applied as one read. */
  async #combine(
    path: string,
    deep: boolean,
    data: Promise<{ data: Uint8Array; stat: Stat }>,
    children: Promise<{ children: string[]; stat: Stat }> | undefined,
  ): Promise<Observation> {
    const [d, c] = await Promise.allSettled([data, children ?? Promise.resolve(undefined)]);
    if (d.status === "rejected") return this.#missingOr(d.reason, path, deep);
    let stat = d.value.stat;
    const observation: Observation = {
      path,
      missing: false,
      stat,
      data: this.dataMode === "data" ? d.value.data : undefined,
      deep,
    };
    if (c.status === "rejected") {
      // NoNode: deleted since the get, whose watch reports it.
      if (!(c.reason instanceof NoNodeError)) throw c.reason;
    } else if (c.value !== undefined) {
      // The children were read just after the data: their stat is the newer
      // one, and still describes that data if mzxid has not moved.
      const later = c.value.stat;
      if (later.czxid === stat.czxid && later.mzxid === stat.mzxid) stat = later;
      if (later.czxid === stat.czxid) observation.children = c.value.children;
      observation.stat = stat;
    }
    return observation;
  }

  #missingOr(error: unknown, path: string, deep: boolean): Observation {
    if (error instanceof NoNodeError) return { path, missing: true, deep };
    throw error;
  }

  #observeData(
    path: string,
    deep: boolean,
    read: Promise<{ data: Uint8Array; stat: Stat }>,
  ): Promise<Observation> {
    const keepData = this.dataMode === "data";
    return read.then(
      ({ data, stat }): Observation =>
        keepData
          ? { path, missing: false, stat, data, deep }
          : { path, missing: false, stat, deep },
      (error) => this.#missingOr(error, path, deep),
    );
  }

  #observeStat(path: string, deep: boolean, read: Promise<Stat | null>): Promise<Observation> {
    return read.then((stat): Observation =>
      stat === null
        ? { path, missing: true, deep, fromExists: true }
        : { path, missing: false, stat, deep, fromExists: true }
    );
  }

  /** The node's data (or just its stat in stat mode): after a CHANGED event. */
  #readData(path: string): void {
    const zk = this.#zk;
    if (this.#mode === "oneShot") {
      // A get even in stat mode: an exists on a deleted node would leave a watch behind.
      const read = zk.get(path, { watch: this.#onEvent }).then((r) => {
        this.#markWatched(path, DATA_WATCH);
        return r;
      });
      this.#issue(this.#observeData(path, false, read));
      return;
    }
    if (this.dataMode === "data") this.#issue(this.#observeData(path, false, zk.get(path)));
    else this.#issue(this.#observeStat(path, false, zk.exists(path)));
  }

  /** Persistent mode: a stat alone (a deleted node, or a parent whose children changed). */
  #readStat(path: string): void {
    this.#issue(this.#observeStat(path, false, this.#zk.exists(path)));
  }

  /** One-shot mode: the children again, after a CHILD event. */
  #readChildren(path: string): void {
    this.#issue(
      this.#zk.getChildren(path, { watch: this.#onEvent, includeStat: true }).then(
        ({ children, stat }): Observation => {
          this.#markWatched(path, CHILD_WATCH);
          return { path, missing: false, stat, children, deep: false };
        },
        (error) => this.#missingOr(error, path, false),
      ),
    );
  }

  /** One-shot mode: a missing root is watched with exists until it appears. */
  #watchRoot(): void {
    this.#issue(
      this.#zk.exists(this.path, { watch: this.#onEvent }).then((stat): Observation => {
        this.#markWatched(this.path, DATA_WATCH);
        return stat === null
          ? { path: this.path, missing: true, deep: true, fromExists: true }
          : { path: this.path, missing: false, stat, deep: true, fromExists: true };
      }),
    );
  }

  #markWatched(path: string, watch: number): void {
    this.#watched.set(path, (this.#watched.get(path) ?? 0) | watch);
  }

  // ---- events --------------------------------------------------------------

  readonly #onEvent: Watcher = (event: WatchedEvent): void => {
    if (this.#closed || this.#mode === undefined) return;
    const { type, path } = event;
    if (type === "NONE" || !this.#inTree(path)) return;
    const oneShot = this.#mode === "oneShot";
    if (oneShot) {
      const fired = type === "CHILD"
        ? CHILD_WATCH
        : type === "DELETED"
        ? DATA_WATCH | CHILD_WATCH
        : DATA_WATCH;
      const left = (this.#watched.get(path) ?? 0) & ~fired;
      if (left === 0) this.#watched.delete(path);
      else this.#watched.set(path, left);
    }
    const depth = this.#depth(path);
    if (depth > this.maxDepth + 1) return;
    if (depth === this.maxDepth + 1) {
      // Only the parent's children count and pzxid moved.
      if (!oneShot && (type === "CREATED" || type === "DELETED")) {
        this.#readStat(dirname(path));
      }
      return;
    }
    // An event says the node may have changed, even been replaced: until
    // the read it triggers is applied, add no child under it.
    this.#answering = path;
    switch (type) {
      case "CREATED":
        this.#readNode(path, false);
        break;
      case "CHANGED":
        this.#readData(path);
        break;
      case "DELETED":
        // Confirm by reading: the node may be back already.
        if (oneShot) this.#readNode(path, false);
        else this.#readStat(path);
        break;
      case "CHILD":
        if (oneShot && depth < this.maxDepth) this.#readChildren(path);
        break;
    }
    this.#answering = undefined;
    // A recursive watch gets no CHILD events: a child's creation or deletion
    // is the parent's cue to refresh its stat (numChildren, pzxid).
    if (!oneShot && path !== this.path && (type === "CREATED" || type === "DELETED")) {
      this.#readStat(dirname(path));
    }
  };

  readonly #onState = (state: State): void => {
    const previous = this.#lastState;
    this.#lastState = state;
    if (this.#closed || state === previous) return;
    if (state === "SUSPENDED") {
      this.#dirty = true;
      this.#emit({ type: "CONNECTION_SUSPENDED", path: this.path });
    } else if (state === "LOST") {
      this.#dirty = true;
      this.#emit({ type: "CONNECTION_LOST", path: this.path });
    } else if (state === "CONNECTED") {
      this.#emit({ type: "CONNECTION_RECONNECTED", path: this.path });
      // Out of the client's state change, then read everything again.
      queueMicrotask(() => this.#resync());
    }
  };

  #resync(): void {
    if (this.#closed || this.#mode === undefined) return;
    this.#dirty = false;
    this.#epoch++;
    this.#readNode(this.path, true);
  }

  // ---- applying reads ------------------------------------------------------

  /** Applies a read sent during full read number `epoch`. */
  #apply(o: Observation, epoch: number): void {
    const { path } = o;
    const nodes = this.#nodes;
    const isRoot = path === this.path;
    const parentPath = dirname(path);
    const parent = isRoot ? -1 : nodes.find(parentPath);
    let id = isRoot ? nodes.find(path) : parent < 0 ? -1 : nodes.child(parent, basename(path));
    if (o.missing) {
      if (id >= 0) this.#removeSubtree(path, id, parent);
      if (isRoot && this.#mode === "oneShot" && !o.fromExists) this.#watchRoot();
      return;
    }
    const stat = o.stat!;
    // The parent's own read, later in line, lists this node again.
    if (parent < 0 && !isRoot) return;
    if (id >= 0 && nodes.czxid(id) !== stat.czxid) {
      // Another incarnation: the one cached was deleted, with its subtree.
      this.#removeSubtree(path, id, parent);
      id = -1;
    }
    if (id < 0 && parent >= 0) {
      // A child read may see a node created under a new incarnation of its
      // parent while the cache still holds the old one: it would be removed
      // with the old parent (a false NODE_REMOVED) and added again. So add
      // nothing under a parent not read since the last reconnect (events
      // were lost meanwhile; the full read lists this node again) or one with
      // an event whose read is still to come (then read this node again).
      if (nodes.epoch(parent) !== this.#epoch) return;
      if (this.#unsettled.has(parentPath)) {
        this.#readNode(path, o.deep);
        return;
      }
    }
    const depth = this.#depth(path);
    const listsChildren = depth < this.maxDepth;
    if (id < 0) {
      const missingData = this.dataMode === "data" && o.data === undefined;
      if (missingData || (listsChildren && o.children === undefined)) {
        this.#readNode(path, o.deep);
        return;
      }
      id = nodes.add(parent, basename(path), stat, o.data, epoch);
      this.#emitNode("NODE_ADDED", path, id);
    } else {
      const cached = nodes.mzxid(id);
      if (stat.mzxid > cached) {
        if (epoch > nodes.epoch(id)) nodes.setEpoch(id, epoch);
        if (this.dataMode === "data" && o.data === undefined) {
          this.#readData(path);
        } else {
          nodes.setStat(id, stat);
          nodes.setData(id, o.data);
          this.#emitNode("NODE_UPDATED", path, id);
        }
      } else if (stat.mzxid === cached) {
        if (epoch > nodes.epoch(id)) nodes.setEpoch(id, epoch);
        // Only the children count, pzxid or ACL version moved: not an update.
        if (stat.pzxid >= nodes.pzxid(id)) nodes.setStat(id, stat);
      }
    }
    if (o.children !== undefined && listsChildren) {
      const cached = nodes.children(id);
      if (cached !== undefined) {
        const listed = new Set(o.children);
        // Removing a child deletes just that name from `cached`: safe while iterating.
        for (const [name, child] of cached) {
          if (!listed.has(name)) this.#removeSubtree(joinPath(path, name), child, id);
        }
      }
      for (const name of o.children) {
        if (o.deep || !nodes.hasChild(id, name)) this.#readNode(joinPath(path, name), o.deep);
      }
    }
  }

  /**
   * Drops the node `id` at `path` (`parent`'s child, -1 for the root) and its
   * cached descendants, reporting the deepest first (the server's order).
   */
  #removeSubtree(path: string, id: number, parent: number): void {
    const nodes = this.#nodes;
    const children = nodes.children(id);
    if (children !== undefined) {
      // Each call deletes only its own name from this map: safe while iterating.
      for (const [name, child] of children) this.#removeSubtree(joinPath(path, name), child, id);
    }
    const event = this.#listened ? this.#nodeEvent("NODE_REMOVED", path, id) : undefined;
    nodes.remove(id, parent, basename(path));
    if (event !== undefined) this.#emit(event);
  }

  /** Whether anyone receives events: else node events are not even built. */
  get #listened(): boolean {
    return this.#listeners.size > 0 || this.#queues.size > 0;
  }

  #nodeEvent(type: TreeCacheEventType, path: string, id: number): TreeCacheEvent {
    const data = this.#nodes.data(id);
    const stat = this.#nodes.stat(id);
    return data === undefined ? { type, path, stat } : { type, path, data, stat };
  }

  #emitNode(type: TreeCacheEventType, path: string, id: number): void {
    if (this.#listened) this.#emit(this.#nodeEvent(type, path, id));
  }

  #emit(event: TreeCacheEvent): void {
    for (const queue of this.#queues) queue.push(event);
    for (const listener of [...this.#listeners]) callListener(listener, event, this.#onError);
  }

  // ---- the public view -------------------------------------------------------

  /** The cached data and stat of `path`, or `undefined` if it is not cached. */
  get(path: string): TreeCacheNode | undefined {
    const id = this.#nodes.find(path);
    if (id < 0) return undefined;
    const data = this.#nodes.data(id);
    const stat = this.#nodes.stat(id);
    return data === undefined ? { stat } : { data, stat };
  }

  /**
   * The names of `path`'s cached children, sorted, or `undefined` if `path`
   * is not cached. Nodes at `maxDepth` report none.
   */
  children(path: string): string[] | undefined {
    const id = this.#nodes.find(path);
    if (id < 0) return undefined;
    const children = this.#nodes.children(id);
    return children === undefined ? [] : [...children.keys()].sort();
  }

  /** Calls `listener` with every event from now on. A throwing listener is reported to `onError`. */
  addListener(listener: TreeCacheListener): void {
    this.#listeners.add(listener);
  }

  /** Removes a listener added with {@linkcode addListener}. */
  removeListener(listener: TreeCacheListener): void {
    this.#listeners.delete(listener);
  }

  /**
   * The events from now on, as an async iterable that ends when `signal`
   * aborts, the loop breaks, or the cache closes. Make it before `start()`
   * to see the initial NODE_ADDED events.
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<TreeCacheEvent> {
    const signal = options.signal;
    const onAbort = () => queue.stop();
    const queue: EventQueue<TreeCacheEvent> = new EventQueue<TreeCacheEvent>(() => {
      this.#queues.delete(queue);
      signal?.removeEventListener("abort", onAbort);
    });
    if (this.#closed || signal?.aborted) {
      queue.stop();
      return queue;
    }
    this.#queues.add(queue);
    signal?.addEventListener("abort", onAbort, { once: true });
    return queue;
  }

  /** Same as {@linkcode events} without a signal. */
  [Symbol.asyncIterator](): AsyncIterator<TreeCacheEvent> {
    return this.events();
  }

  /**
   * Stops the cache: its server watches are removed (waiting for reads in
   * flight, whose replies may leave watches), its listeners and iterators
   * end and the cached nodes are dropped. Idempotent; a closed cache cannot
   * be started again.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#zk.removeListener(this.#onState);
    this.#initWaiters?.reject(
      new ClientClosedError("the TreeCache was closed", { path: this.path }),
    );
    for (const queue of [...this.#queues]) queue.stop();
    this.#queues.clear();
    this.#listeners.clear();
    // The start may still be adding the recursive watch.
    await this.#starting?.catch(() => {});
    if (this.#outstanding > 0) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
    if (this.#watchAdded) {
      await this.#removeWatch(this.path, "persistentRecursive");
    }
    if (this.#mode === "oneShot") {
      const removals: Promise<void>[] = [];
      for (const [path, watches] of this.#watched) {
        if (watches & DATA_WATCH) removals.push(this.#removeWatch(path, "data"));
        if (watches & CHILD_WATCH) removals.push(this.#removeWatch(path, "children"));
      }
      await Promise.all(removals);
      this.#watched.clear();
    }
    this.#nodes.clear();
  }

  async #removeWatch(
    path: string,
    type: "data" | "children" | "persistentRecursive",
  ): Promise<void> {
    const remove = (local: boolean) =>
      this.#zk.removeWatches(path, { type, watcher: this.#onEvent, local });
    try {
      // While disconnected the server has dropped this connection's watches
      // already; a local removal keeps the reconnect from re-adding them.
      await remove(!this.#zk.connected);
    } catch (error) {
      if (error instanceof NoWatcherError || error instanceof ClientClosedError) return;
      if (!isRetryable(error)) {
        this.#onError(error);
        return;
      }
      await remove(true).catch(() => {});
    }
  }
}

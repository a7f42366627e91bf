/**
 * The client's side of ZooKeeper watches: which local callbacks a server
 * notification fires (the Java client's `ZKWatchManager.materialize` table),
 * keyed by server path, and the lists re-sent with `SetWatches2` after a
 * reconnect.
 *
 * @module
 */

import { callListener } from "../events.ts";
import { juteStringLength } from "../jute/writer.ts";
import type { EventType, KeeperState, WatchedEvent, Watcher } from "../types.ts";

/** The kinds of watch the server keeps. */
export type WatchKind = "data" | "exist" | "child" | "persistent" | "recursive";

/** The five path lists of a `SetWatches2` request (server paths). */
export interface WatchLists {
  /** One-shot data watches (`get`, `exists` on an existing node). */
  data: string[];
  /** One-shot exists watches on missing nodes. */
  exist: string[];
  /** One-shot child watches. */
  child: string[];
  /** Persistent watches. */
  persistent: string[];
  /** Persistent recursive watches. */
  recursive: string[];
}

const KINDS: readonly WatchKind[] = ["data", "exist", "child", "persistent", "recursive"];

/** The server's watch tables: data and exists watches share one. */
type WatchTable = "data" | "child" | "persistent" | "recursive";

const TABLE: Record<WatchKind, WatchTable> = {
  data: "data",
  exist: "data",
  child: "child",
  persistent: "persistent",
  recursive: "recursive",
};

const TABLE_KINDS: Record<WatchTable, readonly WatchKind[]> = {
  data: ["data", "exist"],
  child: ["child"],
  persistent: ["persistent"],
  recursive: ["recursive"],
};

/** Maps a server path to the client's path (chroot stripped). */
export type PathMapper = (serverPath: string) => string;

/**
 * The watchers of one path and kind: most paths have one, kept as it is (a
 * `Set` costs about 100 bytes more, paid per watched node by caches that
 * watch every node); a second one makes it a `Set`.
 */
type Watchers = Watcher | Set<Watcher>;

/** The watchers in `slot`. */
function each(slot: Watchers): Iterable<Watcher> {
  return slot instanceof Set ? slot : [slot];
}

/**
 * All registered watches. Registration happens when a reply arrives (a watch
 * exists only once the server confirmed it); a notification consumes the
 * one-shot watches it fires.
 */
export class WatchRegistry {
  readonly #maps: Record<WatchKind, Map<string, Watchers>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    recursive: new Map(),
  };
  /** Watch-setting requests sent and not yet answered, per server table and path. */
  readonly #pending: Record<WatchTable, Map<string, number>> = {
    data: new Map(),
    child: new Map(),
    persistent: new Map(),
    recursive: new Map(),
  };
  readonly #toClient: PathMapper;
  readonly #onError: (error: unknown) => void;

  /** `toClient` strips the chroot; `onError` receives listener exceptions. */
  constructor(toClient: PathMapper, onError: (error: unknown) => void) {
    this.#toClient = toClient;
    this.#onError = onError;
  }

  /** Adds `watcher` for `serverPath`. */
  add(kind: WatchKind, serverPath: string, watcher: Watcher): void {
    const map = this.#maps[kind];
    const slot = map.get(serverPath);
    if (slot === undefined) map.set(serverPath, watcher);
    else if (slot instanceof Set) slot.add(watcher);
    else if (slot !== watcher) map.set(serverPath, new Set([slot, watcher]));
  }

  /**
   * Removes `watcher` (or every watcher when omitted) of `kind` at
   * `serverPath`; returns how many were removed.
   */
  remove(kind: WatchKind, serverPath: string, watcher?: Watcher): number {
    const map = this.#maps[kind];
    const slot = map.get(serverPath);
    if (slot === undefined) return 0;
    if (watcher === undefined) {
      map.delete(serverPath);
      return slot instanceof Set ? slot.size : 1;
    }
    if (!(slot instanceof Set)) {
      if (slot !== watcher) return 0;
      map.delete(serverPath);
      return 1;
    }
    if (!slot.delete(watcher)) return 0;
    if (slot.size === 1) map.set(serverPath, slot.values().next().value!);
    return 1;
  }

  /** How many watchers of `kind` are registered at `serverPath`. */
  count(kind: WatchKind, serverPath: string): number {
    const slot = this.#maps[kind].get(serverPath);
    return slot === undefined ? 0 : slot instanceof Set ? slot.size : 1;
  }

  /**
   * Notes a watch-setting request for `serverPath` on its way to the
   * server; returns the function to call once, when it is answered or can no
   * longer be (connection lost, never sent). Until then the server may set
   * that watch at any moment, so {@linkcode wanted} stays true.
   */
  expect(kind: WatchKind, serverPath: string): () => void {
    const map = this.#pending[TABLE[kind]];
    map.set(serverPath, (map.get(serverPath) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (map.get(serverPath) ?? 1) - 1;
      if (n <= 0) map.delete(serverPath);
      else map.set(serverPath, n);
    };
  }

  /**
   * True while this client needs the server's watch of `kind`'s table at
   * `serverPath`: a local watcher holds it, or a request that sets it is in
   * flight. Only when false may the server's watch be removed without
   * taking it from under another caller.
   */
  wanted(kind: WatchKind, serverPath: string): boolean {
    const table = TABLE[kind];
    if ((this.#pending[table].get(serverPath) ?? 0) > 0) return true;
    for (const k of TABLE_KINDS[table]) if (this.count(k, serverPath) > 0) return true;
    return false;
  }

  /** The paths to re-register after a reconnect. */
  lists(): WatchLists {
    return {
      data: [...this.#maps.data.keys()],
      exist: [...this.#maps.exist.keys()],
      child: [...this.#maps.child.keys()],
      persistent: [...this.#maps.persistent.keys()],
      recursive: [...this.#maps.recursive.keys()],
    };
  }

  /**
   * Delivers a server notification: fires and consumes the one-shot watches
   * it triggers, and fires the persistent ones (recursive watches on the
   * path and every ancestor, except for child events, which the server only
   * sends to recursive watchers because of some other child watch).
   */
  notify(type: EventType, serverPath: string, state: KeeperState, zxid: bigint): void {
    const fired = new Set<Watcher>();
    const take = (kind: WatchKind) => {
      const map = this.#maps[kind];
      const slot = map.get(serverPath);
      if (slot === undefined) return;
      map.delete(serverPath);
      for (const w of each(slot)) fired.add(w);
    };
    switch (type) {
      case "CREATED":
      case "CHANGED":
        take("data");
        take("exist");
        break;
      case "DELETED":
        take("data");
        take("exist");
        take("child");
        break;
      case "CHILD":
        take("child");
        break;
      default:
        return;
    }
    const persistent = this.#maps.persistent.get(serverPath);
    if (persistent) { for (const w of each(persistent)) fired.add(w); }
    if (type !== "CHILD" && this.#maps.recursive.size > 0) {
      let p = serverPath;
      while (true) {
        const slot = this.#maps.recursive.get(p);
        if (slot) { for (const w of each(slot)) fired.add(w); }
        if (p === "/") break;
        const i = p.lastIndexOf("/");
        p = i <= 0 ? "/" : p.slice(0, i);
      }
    }
    if (fired.size === 0) return;
    const event: WatchedEvent = { type, state, path: this.#toClient(serverPath), zxid };
    for (const w of fired) callListener(w, event, this.#onError);
  }

  /**
   * Tells persistent watchers about a connection-state change (a `NONE`
   * event, since the server may have dropped events meanwhile). With
   * `dropOneShot` (session expired or closed) the one-shot watches are also
   * told, once, and forgotten; with `dropPersistent` the persistent ones too.
   */
  notifyState(
    state: KeeperState,
    options: { dropOneShot?: boolean; dropPersistent?: boolean } = {},
  ): void {
    // Collect before calling: a watch added by a watcher meanwhile is not
    // told. Each watcher is told once, with the first path it watches.
    const calls = new Map<Watcher, string>();
    const visit = (kind: WatchKind, drop: boolean) => {
      const map = this.#maps[kind];
      for (const [path, slot] of map) {
        for (const w of each(slot)) if (!calls.has(w)) calls.set(w, path);
      }
      if (drop) map.clear();
    };
    if (options.dropOneShot) {
      visit("data", true);
      visit("exist", true);
      visit("child", true);
    }
    visit("persistent", options.dropPersistent ?? false);
    visit("recursive", options.dropPersistent ?? false);
    for (const [w, path] of calls) {
      callListener(
        w,
        { type: "NONE", state, path: this.#toClient(path), zxid: -1n },
        this.#onError,
      );
    }
  }
}

/**
 * The bytes a `SetWatches2` request takes besides its paths: the frame
 * length, xid and opcode, the relative zxid and five vector counts.
 */
export const SET_WATCHES_OVERHEAD = 4 + 4 + 4 + 8 + 5 * 4;

/** ZooKeeper's own batch size for re-registered watches (`SET_WATCHES_MAX_LENGTH`). */
export const SET_WATCHES_MAX_BYTES = 128 * 1024;

/**
 * Splits watch lists into `SetWatches2` batches whose encoded paths (4-byte
 * length plus CESU-8 bytes each) stay within `limit` bytes, so that no
 * request passes the client's `maxPacketSize` or the server's buffer.
 * A single path longer than the limit still gets a batch of its own.
 */
export function batchWatchLists(lists: WatchLists, limit = SET_WATCHES_MAX_BYTES): WatchLists[] {
  const batches: WatchLists[] = [];
  const empty = (): WatchLists => ({
    data: [],
    exist: [],
    child: [],
    persistent: [],
    recursive: [],
  });
  let current = empty();
  let size = 0;
  let any = false;
  for (const kind of KINDS) {
    for (const path of lists[kind]) {
      const bytes = 4 + juteStringLength(path);
      if (any && size + bytes > limit) {
        batches.push(current);
        current = empty();
        size = 0;
        any = false;
      }
      current[kind].push(path);
      size += bytes;
      any = true;
    }
  }
  if (any) batches.push(current);
  return batches;
}

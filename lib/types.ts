/**
 * The public value types of the client: connection states, watch events,
 * node metadata (`Stat`) and ACLs.
 *
 * @module
 */

/**
 * The connection state as kazoo reports it (`KazooState`).
 *
 * - `CONNECTED`: the session is usable.
 * - `SUSPENDED`: the connection dropped; the session may still be alive and
 *   requests wait for the reconnect. Treat locks and leadership as at risk.
 * - `LOST`: the session is gone (expired, closed, or suspended longer than its
 *   timeout): its ephemeral nodes and watches are gone with it.
 *
 * @example
 * ```ts
 * import { State, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * zk.addListener((s) => { if (s === State.LOST) console.log("session lost"); });
 * ```
 */
export const State = {
  CONNECTED: "CONNECTED",
  SUSPENDED: "SUSPENDED",
  LOST: "LOST",
} as const;
/** One of {@linkcode State}'s values. */
export type State = typeof State[keyof typeof State];

/**
 * The low-level state of the client's session, as the Java client names it.
 *
 * @example
 * ```ts
 * import { KeeperState, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * if (zk.keeperState === KeeperState.CONNECTED_RO) console.log("read-only");
 * ```
 */
export const KeeperState = {
  CONNECTING: "CONNECTING",
  CONNECTED: "CONNECTED",
  CONNECTED_RO: "CONNECTED_RO",
  AUTH_FAILED: "AUTH_FAILED",
  EXPIRED_SESSION: "EXPIRED_SESSION",
  CLOSED: "CLOSED",
} as const;
/** One of {@linkcode KeeperState}'s values. */
export type KeeperState = typeof KeeperState[keyof typeof KeeperState];

/**
 * What a watch event reports.
 *
 * @example
 * ```ts
 * import { EventType, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * await zk.get("/a", {
 *   watch: (e) => {
 *     if (e.type === EventType.CHANGED) console.log("changed");
 *   },
 * });
 * ```
 */
export const EventType = {
  CREATED: "CREATED",
  DELETED: "DELETED",
  CHANGED: "CHANGED",
  CHILD: "CHILD",
  /** A connection-state change, delivered to watches with the new state. */
  NONE: "NONE",
} as const;
/** One of {@linkcode EventType}'s values. */
export type EventType = typeof EventType[keyof typeof EventType];

/**
 * A watch notification. `path` is the client's path (chroot stripped); for a
 * `NONE` event it is the watched path and `state` says what happened.
 */
export interface WatchedEvent {
  /** What happened. */
  readonly type: EventType;
  /** The keeper state when the event was made. */
  readonly state: KeeperState;
  /** The node the event is about (for `NONE`, the watched path). */
  readonly path: string;
  /** The zxid that fired the watch (ZooKeeper 3.9+ sends it; -1 otherwise). */
  readonly zxid: bigint;
}

/** A one-shot or persistent watch callback. */
export type Watcher = (event: WatchedEvent) => void | Promise<void>;

/**
 * A node's metadata, with ZooKeeper's field names. Zxids and the ephemeral
 * owner are `bigint`; times are milliseconds since the epoch.
 */
export interface Stat {
  /** The zxid of the change that created the node. */
  czxid: bigint;
  /** The zxid of the change that last modified the node's data. */
  mzxid: bigint;
  /** When the node was created (ms since the epoch). */
  ctime: number;
  /** When the node's data was last modified (ms since the epoch). */
  mtime: number;
  /** Number of changes to the data. */
  version: number;
  /** Number of changes to the children. */
  cversion: number;
  /** Number of changes to the ACL. */
  aversion: number;
  /** The owning session of an ephemeral node; 0 for any other node. */
  ephemeralOwner: bigint;
  /** Length of the data in bytes. */
  dataLength: number;
  /** Number of children. */
  numChildren: number;
  /** The zxid of the change that last modified the children. */
  pzxid: bigint;
}

export type { ACL, Id } from "./jute/records.ts";

/** Which watches `removeWatches` removes. */
export type WatchType = "data" | "children" | "any" | "persistent" | "persistentRecursive";

/** The options every call takes. */
export interface CallOptions {
  /** Aborting rejects the call with `signal.reason`. */
  signal?: AbortSignal;
}

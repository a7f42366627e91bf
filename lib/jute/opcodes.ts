/**
 * The numbers of ZooKeeper's wire protocol: opcodes (`ZooDefs.OpCode`),
 * reserved xids, watch event types, keeper states, watcher types, watch
 * modes and create flags.
 *
 * @module
 */

/**
 * Every request type (`RequestHeader.type`, `MultiHeader.type`) a ZooKeeper
 * 3.5–3.9 client can send, as `ZooDefs.OpCode` numbers them.
 *
 * @example
 * ```ts
 * import { OpCode } from "@zk/client/jute";
 * const header = { xid: 1, type: OpCode.getData };
 * ```
 */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;

/** One of the values of {@linkcode OpCode}. */
export type OpCode = typeof OpCode[keyof typeof OpCode];

const OP_NAMES: ReadonlyMap<number, string> = new Map<number, string>(
  Object.entries(OpCode).map(([name, code]) => [code, name]),
);

/**
 * The name of an opcode (`"getData"`), or `"unknown(<code>)"`, for logs and
 * error messages.
 *
 * @example
 * ```ts
 * import { opCodeName } from "@zk/client/jute";
 * opCodeName(4); // "getData"
 * ```
 */
export function opCodeName(code: number): string {
  return OP_NAMES.get(code) ?? `unknown(${code})`;
}

/**
 * The xids ZooKeeper reserves for messages that are not replies to a
 * numbered request. A reply with one of these xids is matched by xid, not by
 * the order of the pending queue.
 *
 * @example
 * ```ts
 * import { Xid } from "@zk/client/jute";
 * const isEvent = (xid: number) => xid === Xid.NOTIFICATION;
 * ```
 */
export const Xid = {
  /** A watch event pushed by the server. */
  NOTIFICATION: -1,
  /** A ping and its reply. */
  PING: -2,
  /** An `AuthPacket` and its reply. */
  AUTH: -4,
  /** A `SetWatches`/`SetWatches2` sent on reconnect, and its reply. */
  SET_WATCHES: -8,
} as const;

/** One of the values of {@linkcode Xid}. */
export type Xid = typeof Xid[keyof typeof Xid];

/**
 * `WatcherEvent.type` on the wire (`Watcher.Event.EventType`).
 *
 * @example
 * ```ts
 * import { EventTypeCode } from "@zk/client/jute";
 * const changed = (type: number) => type === EventTypeCode.NodeDataChanged;
 * ```
 */
export const EventTypeCode = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

/** One of the values of {@linkcode EventTypeCode}. */
export type EventTypeCode = typeof EventTypeCode[keyof typeof EventTypeCode];

/**
 * `WatcherEvent.state` on the wire (`Watcher.Event.KeeperState`).
 *
 * @example
 * ```ts
 * import { KeeperStateCode } from "@zk/client/jute";
 * const readOnly = (state: number) => state === KeeperStateCode.ConnectedReadOnly;
 * ```
 */
export const KeeperStateCode = {
  Disconnected: 0,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** One of the values of {@linkcode KeeperStateCode}. */
export type KeeperStateCode = typeof KeeperStateCode[keyof typeof KeeperStateCode];

/**
 * Which watches `RemoveWatchesRequest.type` and `CheckWatchesRequest.type`
 * are about (`Watcher.WatcherType`).
 *
 * @example
 * ```ts
 * import { WatcherType } from "@zk/client/jute";
 * const request = { path: "/a", type: WatcherType.Any };
 * ```
 */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
} as const;

/** One of the values of {@linkcode WatcherType}. */
export type WatcherType = typeof WatcherType[keyof typeof WatcherType];

/**
 * `AddWatchRequest.mode` (`AddWatchMode`, ZooKeeper 3.6+).
 *
 * @example
 * ```ts
 * import { AddWatchMode } from "@zk/client/jute";
 * const request = { path: "/a", mode: AddWatchMode.PERSISTENT_RECURSIVE };
 * ```
 */
export const AddWatchMode = {
  PERSISTENT: 0,
  PERSISTENT_RECURSIVE: 1,
} as const;

/** One of the values of {@linkcode AddWatchMode}. */
export type AddWatchMode = typeof AddWatchMode[keyof typeof AddWatchMode];

/**
 * `CreateRequest.flags` (`CreateMode`). TTL modes go with a
 * `CreateTTLRequest` (opcode `createTTL`), `CONTAINER` with opcode
 * `createContainer`.
 *
 * @example
 * ```ts
 * import { CreateFlags } from "@zk/client/jute";
 * const flags = CreateFlags.EPHEMERAL_SEQUENTIAL;
 * ```
 */
export const CreateFlags = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** One of the values of {@linkcode CreateFlags}. */
export type CreateFlags = typeof CreateFlags[keyof typeof CreateFlags];

/**
 * ZooKeeper's error codes (`KeeperException.Code`), as they appear in
 * `ReplyHeader.err`, `ErrorResponse.err` and `MultiHeader.err`.
 *
 * @module
 */

/**
 * Every error code a ZooKeeper 3.5–3.9 server or client can produce.
 *
 * @example
 * ```ts
 * import { ErrorCode, errorCodeName } from "@zk/client/jute";
 * errorCodeName(ErrorCode.NO_NODE); // "NONODE"
 * ```
 */
export const ErrorCode = {
  OK: 0,
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  DATA_INCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  UNKNOWN_SESSION: -12,
  NEW_CONFIG_NO_QUORUM: -13,
  RECONFIG_IN_PROGRESS: -14,
  API_ERROR: -100,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
  SESSION_MOVED: -118,
  NOT_READ_ONLY: -119,
  EPHEMERAL_ON_LOCAL_SESSION: -120,
  NO_WATCHER: -121,
  REQUEST_TIMEOUT: -122,
  RECONFIG_DISABLED: -123,
  SESSION_CLOSED_REQUIRE_SASL_AUTH: -124,
  QUOTA_EXCEEDED: -125,
  THROTTLED_OP: -127,
} as const;

/** One of the values of {@linkcode ErrorCode}. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

// Java's names are ours without the underscores (NO_NODE is NONODE).
const NAMES: ReadonlyMap<number, string> = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name.replaceAll("_", "")]),
);

/**
 * The name ZooKeeper's Java client gives an error code (`NONODE`,
 * `BADVERSION`, ...), or `UNKNOWN(<code>)` for a code it does not define.
 *
 * @example
 * ```ts
 * import { errorCodeName } from "@zk/client/jute";
 * errorCodeName(-110); // "NODEEXISTS"
 * ```
 */
export function errorCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}

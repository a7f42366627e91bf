/**
 * Errors you can branch on: one class per ZooKeeper error code, plus the
 * errors the client raises itself (closed client, bad path, bad options).
 *
 * ```ts
 * import { NoNodeError, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * try { await zk.get("/missing"); }
 * catch (e) { if (e instanceof NoNodeError) console.log(e.path); }
 * ```
 *
 * @module
 */

import { ErrorCode, errorCodeName } from "./jute/error_codes.ts";

/** Options every {@linkcode ZooKeeperError} takes. */
export interface ZooKeeperErrorOptions extends ErrorOptions {
  /** The client-side path the failed request was about, if any. */
  path?: string;
}

/**
 * The base of every error this library raises. `code` is ZooKeeper's error
 * code (see {@linkcode ErrorCode}); `path` the path the request was about.
 *
 * @example
 * ```ts
 * import { ZooKeeperError } from "@zk/client";
 * const e = new ZooKeeperError(-101, "no node");
 * e.code; // -101
 * ```
 */
export class ZooKeeperError extends Error {
  /** ZooKeeper's error code. */
  readonly code: number;
  /** The path the failed request was about, when there was one. */
  readonly path?: string;

  /** Makes an error with `code`; the message gets the path appended when given. */
  constructor(code: number, message?: string, options?: ZooKeeperErrorOptions) {
    const path = options?.path;
    const text = message ?? errorCodeName(code);
    super(path === undefined ? text : `${text}: ${path}`, options);
    this.name = new.target.name;
    this.code = code;
    if (path !== undefined) this.path = path;
  }
}

/** A server-side error the client could not classify (code -1). */
export class SystemError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "system error". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-1, message ?? "system error", options);
  }
}
/** In a failed transaction: an op after the failing one (code -2). */
export class RuntimeInconsistencyError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "runtime inconsistency". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-2, message ?? "runtime inconsistency", options);
  }
}
/** Data inconsistency on the server (code -3). */
export class DataInconsistencyError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "data inconsistency". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-3, message ?? "data inconsistency", options);
  }
}
/**
 * The connection dropped while the request was in flight (code -4): it may or
 * may not have been applied. Retryable.
 */
export class ConnectionLossError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "connection lost". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-4, message ?? "connection lost", options);
  }
}
/** Bytes that break the jute encoding: a truncated or corrupt record (code -5). */
export class MarshallingError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "marshalling error". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-5, message ?? "marshalling error", options);
  }
}
/** The server does not implement the operation or option (code -6). */
export class UnimplementedError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "operation not implemented by the server". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-6, message ?? "operation not implemented by the server", options);
  }
}
/** The operation timed out (code -7). Retryable. */
export class OperationTimeoutError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "operation timed out". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-7, message ?? "operation timed out", options);
  }
}
/** The server rejected the request's arguments (code -8). */
export class BadArgumentsError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "bad arguments". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-8, message ?? "bad arguments", options);
  }
}
/** Unknown session (code -12; server internal). */
export class UnknownSessionError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "unknown session". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-12, message ?? "unknown session", options);
  }
}
/** A reconfig's new configuration has no quorum (code -13). */
export class NewConfigNoQuorumError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "new config has no quorum". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-13, message ?? "new config has no quorum", options);
  }
}
/** Another reconfig is in progress (code -14). */
export class ReconfigInProgressError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "reconfig in progress". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-14, message ?? "reconfig in progress", options);
  }
}
/** Generic API error (code -100). */
export class APIError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "API error". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-100, message ?? "API error", options);
  }
}
/** The node does not exist (code -101). */
export class NoNodeError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "node does not exist". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-101, message ?? "node does not exist", options);
  }
}
/** The node's ACL denies the operation to this session (code -102). */
export class NoAuthError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "not authorized". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-102, message ?? "not authorized", options);
  }
}
/** The expected version did not match the node's (code -103). */
export class BadVersionError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "version mismatch". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-103, message ?? "version mismatch", options);
  }
}
/** Ephemeral nodes cannot have children (code -108). */
export class NoChildrenForEphemeralsError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "ephemeral nodes cannot have children". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-108, message ?? "ephemeral nodes cannot have children", options);
  }
}
/** The node already exists (code -110). */
export class NodeExistsError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "node already exists". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-110, message ?? "node already exists", options);
  }
}
/** The node has children (code -111). */
export class NotEmptyError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "node has children". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-111, message ?? "node has children", options);
  }
}
/** The session has expired (code -112): its ephemerals and watches are gone. */
export class SessionExpiredError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "session expired". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-112, message ?? "session expired", options);
  }
}
/** Invalid callback (code -113). */
export class InvalidCallbackError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "invalid callback". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-113, message ?? "invalid callback", options);
  }
}
/** The ACL is invalid (code -114). */
export class InvalidACLError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "invalid ACL". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-114, message ?? "invalid ACL", options);
  }
}
/** Authentication failed (code -115); the client stops reconnecting. */
export class AuthFailedError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "authentication failed". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-115, message ?? "authentication failed", options);
  }
}
/** The session moved to another server (code -118). Retryable. */
export class SessionMovedError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "session moved". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-118, message ?? "session moved", options);
  }
}
/** A write was sent to a read-only server (code -119). */
export class NotReadOnlyError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "server is read-only: writes are refused". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-119, message ?? "server is read-only: writes are refused", options);
  }
}
/** Ephemeral create on a local session (code -120). */
export class EphemeralOnLocalSessionError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "ephemeral node on a local session". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-120, message ?? "ephemeral node on a local session", options);
  }
}
/** No such watch to remove (code -121). */
export class NoWatcherError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "no such watcher". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-121, message ?? "no such watcher", options);
  }
}
/** Request timed out (code -122). */
export class RequestTimeoutError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "request timed out". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-122, message ?? "request timed out", options);
  }
}
/** Reconfig is disabled on the server (code -123). */
export class ReconfigDisabledError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "reconfig is disabled". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-123, message ?? "reconfig is disabled", options);
  }
}
/** The server requires SASL authentication (code -124). */
export class SessionClosedRequireSaslAuthError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "session closed: the server requires SASL authentication". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-124, message ?? "session closed: the server requires SASL authentication", options);
  }
}
/** A hard quota was exceeded (code -125). */
export class QuotaExceededError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "quota exceeded". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-125, message ?? "quota exceeded", options);
  }
}
/** The server throttled the request (code -127). Retry with backoff. */
export class ThrottledError extends ZooKeeperError {
  /** Makes the error; `message` defaults to "request throttled". */
  constructor(message?: string, options?: ZooKeeperErrorOptions) {
    super(-127, message ?? "request throttled", options);
  }
}

type ErrorClass = new (message?: string, options?: ZooKeeperErrorOptions) => ZooKeeperError;

const BY_CODE: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [ErrorCode.SYSTEM_ERROR, SystemError],
  [ErrorCode.RUNTIME_INCONSISTENCY, RuntimeInconsistencyError],
  [ErrorCode.DATA_INCONSISTENCY, DataInconsistencyError],
  [ErrorCode.CONNECTION_LOSS, ConnectionLossError],
  [ErrorCode.MARSHALLING_ERROR, MarshallingError],
  [ErrorCode.UNIMPLEMENTED, UnimplementedError],
  [ErrorCode.OPERATION_TIMEOUT, OperationTimeoutError],
  [ErrorCode.BAD_ARGUMENTS, BadArgumentsError],
  [ErrorCode.UNKNOWN_SESSION, UnknownSessionError],
  [ErrorCode.NEW_CONFIG_NO_QUORUM, NewConfigNoQuorumError],
  [ErrorCode.RECONFIG_IN_PROGRESS, ReconfigInProgressError],
  [ErrorCode.API_ERROR, APIError],
  [ErrorCode.NO_NODE, NoNodeError],
  [ErrorCode.NO_AUTH, NoAuthError],
  [ErrorCode.BAD_VERSION, BadVersionError],
  [ErrorCode.NO_CHILDREN_FOR_EPHEMERALS, NoChildrenForEphemeralsError],
  [ErrorCode.NODE_EXISTS, NodeExistsError],
  [ErrorCode.NOT_EMPTY, NotEmptyError],
  [ErrorCode.SESSION_EXPIRED, SessionExpiredError],
  [ErrorCode.INVALID_CALLBACK, InvalidCallbackError],
  [ErrorCode.INVALID_ACL, InvalidACLError],
  [ErrorCode.AUTH_FAILED, AuthFailedError],
  [ErrorCode.SESSION_MOVED, SessionMovedError],
  [ErrorCode.NOT_READ_ONLY, NotReadOnlyError],
  [ErrorCode.EPHEMERAL_ON_LOCAL_SESSION, EphemeralOnLocalSessionError],
  [ErrorCode.NO_WATCHER, NoWatcherError],
  [ErrorCode.REQUEST_TIMEOUT, RequestTimeoutError],
  [ErrorCode.RECONFIG_DISABLED, ReconfigDisabledError],
  [ErrorCode.SESSION_CLOSED_REQUIRE_SASL_AUTH, SessionClosedRequireSaslAuthError],
  [ErrorCode.QUOTA_EXCEEDED, QuotaExceededError],
  [ErrorCode.THROTTLED_OP, ThrottledError],
]);

/**
 * The error for a server error code: the matching subclass, or a plain
 * {@linkcode ZooKeeperError} for a code this library does not know.
 *
 * @example
 * ```ts
 * import { errorFromCode, NoNodeError } from "@zk/client";
 * errorFromCode(-101, { path: "/a" }) instanceof NoNodeError; // true
 * ```
 */
export function errorFromCode(code: number, options?: ZooKeeperErrorOptions): ZooKeeperError {
  const Class = BY_CODE.get(code);
  return Class ? new Class(undefined, options) : new ZooKeeperError(code, undefined, options);
}

// The rule for the errors the client raises itself: each one is a kind of a
// server condition, carries that condition's code, and extends its class, so
// `code` and `instanceof` always agree (kazoo's ConnectionClosedError is a
// SessionExpiredError in the same way). Whether to retry is decided by
// `isRetryable`, never by the class alone.

/**
 * The client was closed: no request can be made on it any more. A kind of
 * {@linkcode SessionExpiredError} (the session is over), but never retried.
 */
export class ClientClosedError extends SessionExpiredError {
  /** Makes the error; `message` defaults to "client is closed". */
  constructor(message = "client is closed", options?: ZooKeeperErrorOptions) {
    super(message, options);
  }
}

/** An option or a connection string the client cannot use: a kind of {@linkcode BadArgumentsError}. */
export class ConfigurationError extends BadArgumentsError {
  /** Makes the error with a message saying what is wrong. */
  constructor(message: string, options?: ZooKeeperErrorOptions) {
    super(message, options);
  }
}

/** A path ZooKeeper would reject; raised before anything is sent. */
export class InvalidPathError extends BadArgumentsError {
  /** Makes the error; `reason` says what is wrong with `path`. */
  constructor(reason: string, options?: ZooKeeperErrorOptions) {
    super(`invalid path (${reason})`, options);
  }
}

/**
 * A request larger than the client's `maxPacketSize` (ZooKeeper's
 * `jute.maxbuffer`); refused on the client instead of being dropped by the
 * server. The connection stays up.
 */
export class RequestTooLargeError extends BadArgumentsError {
  /** The encoded size of the refused request, in bytes. */
  readonly size: number;
  /** The limit it passed, in bytes. */
  readonly limit: number;
  /** Makes the error for a request of `size` bytes against `limit`. */
  constructor(size: number, limit: number, options?: ZooKeeperErrorOptions) {
    super(`request of ${size} bytes is larger than maxPacketSize ${limit}`, options);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A recipe's wait ran past its timeout: a kind of
 * {@linkcode OperationTimeoutError}, but final (never retried).
 */
export class LockTimeoutError extends OperationTimeoutError {
  /** Makes the error with a message saying what timed out. */
  constructor(message = "timed out", options?: ZooKeeperErrorOptions) {
    super(message, options);
  }
}

/**
 * In a failed transaction, an op that did not fail itself but was rolled back
 * because another op failed.
 */
export class RolledBackError extends ZooKeeperError {
  /** Makes the error; `code` is the op's own result code (0 or -2). */
  constructor(code: number = ErrorCode.RUNTIME_INCONSISTENCY, options?: ZooKeeperErrorOptions) {
    super(code, "rolled back: another operation of the transaction failed", options);
  }
}

/**
 * A transaction (multi) that failed as a whole. `results` has one entry per
 * op: the failing op's own error, {@linkcode RolledBackError} for the rest.
 * `code` and `cause` are those of the first failing op.
 */
export class TransactionError extends ZooKeeperError {
  /** One outcome per op, in the order the ops were added. */
  readonly results: readonly ZooKeeperError[];
  /** Index of the first op that failed. */
  readonly failedIndex: number;

  /** Makes the error from the per-op outcomes. */
  constructor(results: readonly ZooKeeperError[]) {
    let index = results.findIndex((e) => !(e instanceof RolledBackError));
    if (index < 0) index = 0;
    const first = results[index];
    super(
      first?.code ?? ErrorCode.SYSTEM_ERROR,
      `transaction failed at op ${index}: ${first?.message ?? "unknown"}`,
      { cause: first },
    );
    this.results = results;
    this.failedIndex = index;
  }
}

/**
 * A recipe cannot tell whether its change was applied: the connection
 * dropped while the request was in flight, and what the server holds now
 * proves neither outcome (another client may have made the same change).
 * The recipe reports nothing as done; deciding what to do is the caller's.
 * Not retried by the client's `retry()`: a blind retry could apply the
 * change twice. `code` is that of the connection loss behind it.
 *
 * @example
 * ```ts
 * import { Counter, OutcomeUnknownError, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * try {
 *   await new Counter(zk, "/jobs/done").add(1);
 * } catch (e) {
 *   if (e instanceof OutcomeUnknownError) console.warn("maybe counted:", e.message);
 * }
 * ```
 */
export class OutcomeUnknownError extends ConnectionLossError {
  /** Makes the error with a message saying what is unknown. */
  constructor(message: string, options?: ZooKeeperErrorOptions) {
    super(message, options);
  }
}

/**
 * Whether `error` is a passing condition that a retry may get past: a
 * connection loss or an operation timeout, and (unless `expired: false`) a
 * session expiry. Never a closed client, an outcome a recipe could not prove
 * ({@linkcode OutcomeUnknownError}: a blind retry could apply a change twice)
 * or a recipe's own timeout, though each is a kind of one of those.
 *
 * @example
 * ```ts
 * import { ClientClosedError, ConnectionLossError, isRetryable } from "@zk/client";
 * isRetryable(new ConnectionLossError()); // true
 * isRetryable(new ClientClosedError()); // false
 * ```
 */
export function isRetryable(error: unknown, options: { expired?: boolean } = {}): boolean {
  if (
    error instanceof ClientClosedError || error instanceof OutcomeUnknownError ||
    error instanceof LockTimeoutError
  ) {
    return false;
  }
  return error instanceof ConnectionLossError || error instanceof OperationTimeoutError ||
    ((options.expired ?? true) && error instanceof SessionExpiredError);
}

/**
 * Whether `error` says the session expired (LOST), as opposed to the client
 * having been closed.
 *
 * @example
 * ```ts
 * import { isSessionExpiry, SessionExpiredError } from "@zk/client";
 * isSessionExpiry(new SessionExpiredError()); // true
 * ```
 */
export function isSessionExpiry(error: unknown): boolean {
  return error instanceof SessionExpiredError && !(error instanceof ClientClosedError);
}

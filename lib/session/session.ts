/**
 * A ZooKeeper session over a series of connections: the handshake, xids and
 * the in-order pending queue, one write per tick, pings and the read
 * timeout, the host list and reconnects, session resume and expiry, auth and
 * SASL replay, and watch re-registration. The public client is a thin layer
 * of request encoders on top.
 *
 * @module
 */

import {
  AuthFailedError,
  ClientClosedError,
  ConnectionLossError,
  errorFromCode,
  MarshallingError,
  RequestTimeoutError,
  RequestTooLargeError,
  SessionExpiredError,
  ZooKeeperError,
} from "../errors.ts";
import { JuteReader } from "../jute/reader.ts";
import { JuteWriter } from "../jute/writer.ts";
import { OpCode, Xid } from "../jute/opcodes.ts";
import { ErrorCode } from "../jute/error_codes.ts";
import {
  readConnectResponse,
  readSetSASLResponse,
  readWatcherEvent,
  writeAuthPacket,
  writeConnectRequest,
  writeGetSASLRequest,
  writeSetWatches,
  writeSetWatches2,
} from "../jute/records.ts";
import { FrameState } from "../transport/framing.ts";
import { ChunkReader } from "../transport/chunk_reader.ts";
import type { TlsOptions, Transport, TransportConnection } from "../transport/types.ts";
import type { EventType } from "../types.ts";
import { KeeperState, State } from "../types.ts";
import { type HostAddress, HostList } from "./hosts.ts";
import { Deque } from "./queue.ts";
import {
  batchWatchLists,
  SET_WATCHES_MAX_BYTES,
  SET_WATCHES_OVERHEAD,
  WatchRegistry,
} from "./watches.ts";
import { WatchSync } from "./watch_sync.ts";
import { DigestMd5Client } from "../auth/sasl_digest_md5.ts";
import { sendFourLetterWord } from "./four_letter.ts";
import type { RetryOptions } from "../retry.ts";
import { abortable, sleep } from "../abort.ts";
import { callListener } from "../events.ts";

/** A console-like logger; every method is optional. */
export interface Logger {
  /** Chatty detail. */
  debug?(...args: unknown[]): void;
  /** Connection and session milestones. */
  info?(...args: unknown[]): void;
  /** Something went wrong but the client carries on. */
  warn?(...args: unknown[]): void;
  /** Something went wrong for good. */
  error?(...args: unknown[]): void;
}

/**
 * Reconnect pacing (kazoo's `connection_retry`): the same fields and formula
 * as {@linkcode RetryOptions}, counted per failed connection attempt.
 */
export type ReconnectOptions = Pick<
  RetryOptions,
  "maxTries" | "delay" | "backoff" | "maxJitter" | "maxDelay"
>;

/** An auth credential replayed on every connection. */
export interface AuthEntry {
  /** Scheme, such as `digest`. */
  scheme: string;
  /** The credential bytes (for digest: `user:password`). */
  credential: Uint8Array;
}

/** SASL settings. */
export interface SaslOptions {
  /** Only DIGEST-MD5 is supported. */
  mechanism: "DIGEST-MD5";
  /** User name. */
  username: string;
  /** Password. */
  password: string;
}

/** What the session needs to run. */
export interface SessionOptions {
  /** The configured hosts. */
  hosts: HostAddress[];
  /** Shuffle the hosts (default true). */
  randomizeHosts: boolean;
  /** Requested session timeout, ms. */
  sessionTimeout: number;
  /** Per-attempt connect deadline, ms (default: session timeout / hosts). */
  connectTimeout?: number;
  /** Resume this session. */
  sessionId?: bigint;
  /** Password of the resumed session. */
  sessionPassword?: Uint8Array;
  /** Accept read-only servers. */
  readOnly: boolean;
  /** Credentials to send after every handshake. */
  auth: AuthEntry[];
  /** SASL credentials, run before anything else on every connection. */
  sasl?: SaslOptions;
  /** TLS settings, or undefined for plain TCP. */
  tls?: TlsOptions;
  /** How to open connections. */
  transport: Transport;
  /** Largest request frame the client sends, bytes. */
  maxPacketSize: number;
  /** Largest reply frame accepted, bytes. */
  maxReplySize: number;
  /** Reconnect pacing. */
  reconnect: ReconnectOptions;
  /** Fail a request in flight with no reply after this many ms (0: never). */
  requestTimeout: number;
  /** Fail a request that waited this many ms for a session to exist (0: never). */
  sessionWaitTimeout: number;
  /** Maps server paths to client paths in watch events. */
  toClientPath: (serverPath: string) => string;
  /** Where to log. */
  logger: Logger;
}

/** Decodes a reply: `err` is the reply header's code, `reader` is at the body. */
export type ReplyDecoder<T> = (err: number, reader: JuteReader) => T;

/** Options of {@linkcode Session.submit}. */
export interface SubmitOptions {
  /** Gives up waiting (the request may still reach the server if it was sent). */
  signal?: AbortSignal;
  /** The client's path, for errors. */
  path?: string;
  /** Runs when a reply arrives after the caller gave up, with its error code. */
  abandoned?: (err: number) => void;
  /**
   * Runs once when the request can no longer be answered: its reply came,
   * its connection dropped, or it never left the client.
   */
  finished?: () => void;
}

interface Request {
  xid: number;
  type: number;
  encode: ((w: JuteWriter) => void) | undefined;
  decode: ReplyDecoder<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Settled or given up by its caller: a late reply is matched and dropped. */
  done: boolean;
  path: string | undefined;
  /** The caller's signal and its listener, removed once the request settles. */
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Runs when the reply arrives after the caller gave up (to undo a server-side effect). */
  abandoned: ((err: number) => void) | undefined;
  /**
   * Runs once when the request can no longer reach the server or be answered:
   * its reply arrived (before it is decoded), its connection dropped, or it
   * was given up before it was sent.
   */
  finished: (() => void) | undefined;
  /** When it was written (for `requestTimeout`), or when it began to wait for a session. */
  since: number;
  /** Whether it waits under `sessionWaitTimeout` (queued while no session existed). */
  bounded: boolean;
}

/** Every request has this one shape, so the hot path stays monomorphic. */
function newRequest(
  type: number,
  encode: ((w: JuteWriter) => void) | undefined,
  decode: ReplyDecoder<unknown>,
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
  path?: string,
  abandoned?: (err: number) => void,
  finished?: () => void,
): Request {
  return {
    xid: 0,
    type,
    encode,
    decode,
    resolve,
    reject,
    done: false,
    path,
    signal: undefined,
    onAbort: undefined,
    abandoned,
    finished,
    since: 0,
    bounded: false,
  };
}

/** Calls a request's `finished` hook at most once. */
function finish(request: Request): void {
  const finished = request.finished;
  if (finished === undefined) return;
  request.finished = undefined;
  finished();
}

/** Cancels both streams and closes the socket; every step tolerates a closed one. */
function release(
  transport: TransportConnection,
  reader: ChunkReader,
  writer: WritableStreamDefaultWriter<Uint8Array>,
): void {
  reader.cancel().catch(() => {});
  writer.abort().catch(() => {});
  transport.close();
}

interface Connection {
  readonly transport: TransportConnection;
  /** The host-list entry this connection was opened to. */
  readonly address: HostAddress;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The socket's one reader: chunks are split into frames here, with no stream stage between. */
  readonly reader: ChunkReader;
  readonly framing: FrameState;
  readonly out: JuteWriter;
  readonly inflight: Deque<Request>;
  readonly authWaiters: Deque<(err: number) => void>;
  flushScheduled: boolean;
  closed: boolean;
  ready: boolean;
  lastSend: number;
  lastRecv: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When the tick timer was due: a tick far later than this means the event loop stalled. */
  tickDue: number;
  /** Silence is not judged before this time (set after a stall, while unread bytes are read). */
  judgeFrom: number;
  /**
   * The `lastRecv` for which a late tick already gave the socket one turn to
   * be read before judging (so a loop that keeps stalling cannot keep a dead link).
   */
  readTurnFor: number;
  /** A link silent for this long is dead. */
  readTimeout: number;
  /** An idle link is pinged this often. */
  pingInterval: number;
  ended: Promise<void>;
  end: () => void;
}

const EARLY_FLUSH_BYTES = 32 * 1024;
/** A tick this much later than due means the event loop was blocked. */
const LATE_TICK_MS = 200;
/** After a stall, how long a tick that would drop the link waits for the socket to be read first. */
const READ_TURN_MS = 50;

/**
 * How the link to the server is watched, for a negotiated session timeout
 * `sessionTimeout`. A link silent for `readTimeout` is taken for dead: a
 * quarter of the session timeout, but never less than 2/3 of it or 2 s,
 * whichever is smaller (the Java client waits 2/3 in every case, so a frozen
 * server costs it most of the session). An idle link is pinged every
 * `pingInterval`, a third of that, so a healthy link is never silent for
 * more than one ping's round trip past it. A blocked event loop is told
 * apart from a silent server (see `#tick`).
 */
export function linkTimings(sessionTimeout: number): { readTimeout: number; pingInterval: number } {
  const readTimeout = Math.max(sessionTimeout / 4, Math.min((sessionTimeout * 2) / 3, 2000));
  return { readTimeout, pingInterval: readTimeout / 3 };
}
const EMPTY_PASSWORD = new Uint8Array(16);
const EVENT_TYPES: Record<number, EventType> = {
  1: "CREATED",
  2: "DELETED",
  3: "CHANGED",
  4: "CHILD",
};

/**
 * Why a server closes a connection before its ConnectResponse, most likely
 * first. A TLS port closes on plain bytes without a word, which the Java
 * client's users learn the hard way.
 */
function handshakeRefusalCauses(options: SessionOptions): string[] {
  const causes: string[] = [];
  if (!options.tls) causes.push("the port may expect TLS: pass the `tls` option");
  if (!options.readOnly) causes.push("the server may be read-only: pass `readOnly: true`");
  causes.push("the server may be behind the last zxid this client saw");
  return causes;
}

/** Whether a frame is a watch event (xid -1), read without decoding it. */
function isNotification(frame: Uint8Array): boolean {
  return frame.length >= 4 && frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff &&
    frame[3] === 0xff;
}

/**
 * Resolves once every continuation already queued has run: a macrotask
 * boundary (a zero-delay timer runs only after the microtask queue drained).
 */
function afterMicrotasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The session engine behind {@linkcode ZooKeeperClient}. Internal: its API
 * may change between minor versions.
 */
export class Session {
  readonly #options: SessionOptions;
  readonly #hosts: HostList;
  readonly watches: WatchRegistry;
  /** The server side of the watches: removal, and requests given up after they left. */
  readonly watchSync: WatchSync;
  readonly #listeners = new Set<(state: State) => void>();
  readonly #waiting = new Deque<Request>();
  readonly #closeController = new AbortController();

  #conn: Connection | undefined;
  #xid = 0;
  #sessionId: bigint;
  #password: Uint8Array;
  #negotiatedTimeout = 0;
  #lastZxid = 0n;
  #state: State = State.LOST;
  #keeperState: KeeperState = KeeperState.CONNECTING;
  #serverReadOnly = false;
  #seenReadWrite = false;
  #epoch = 0;
  #auth: AuthEntry[];
  #running: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #terminalError: ZooKeeperError | undefined;
  #lostTimer: ReturnType<typeof setTimeout> | undefined;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  /** States not yet told to the listeners (a listener may cause the next one). */
  readonly #stateQueue: State[] = [];
  #telling = false;
  /** The address of the last failed attempt, so the next pass does not start with it. */
  #lastFailed: HostAddress | undefined;
  #lastError: unknown;
  #connectedWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  #preferred: HostAddress | undefined;
  #probe:
    | { timer: ReturnType<typeof setTimeout> | undefined; delay: number; stop: AbortController }
    | undefined;

  /** Builds a session; nothing happens until {@linkcode Session.start}. */
  constructor(options: SessionOptions) {
    this.#options = options;
    this.#hosts = new HostList(options.hosts, {
      randomize: options.randomizeHosts,
      resolve: options.transport.resolve?.bind(options.transport),
    });
    this.#sessionId = options.sessionId ?? 0n;
    this.#password = options.sessionPassword ?? EMPTY_PASSWORD;
    if (this.#sessionId !== 0n) this.#seenReadWrite = true;
    this.#auth = [...options.auth];
    this.watches = new WatchRegistry(
      options.toClientPath,
      (e) => this.#log("warn", "a watcher threw", e),
    );
    this.watchSync = new WatchSync(
      this.watches,
      (type, encode, decode, options) => this.submit(type, encode, decode, options),
      () => this.closed,
    );
  }

  /** kazoo's state. */
  get state(): State {
    return this.#state;
  }
  /** The Java client's state. */
  get keeperState(): KeeperState {
    return this.#keeperState;
  }
  /** The current session id (0 before the first handshake and after expiry). */
  get sessionId(): bigint {
    return this.#sessionId;
  }
  /** The current session's password. */
  get sessionPassword(): Uint8Array {
    return this.#password.slice();
  }
  /** The session timeout the server granted, ms (0 before the first handshake). */
  get negotiatedTimeout(): number {
    return this.#negotiatedTimeout;
  }
  /** True when connected to a read-only server. */
  get readOnly(): boolean {
    return this.#serverReadOnly && this.#conn?.ready === true;
  }
  /** The highest zxid seen in a reply. */
  get lastZxid(): bigint {
    return this.#lastZxid;
  }
  /** `host:port` of the server currently connected to. */
  get connectedAddress(): string | undefined {
    return this.#conn?.ready ? this.#conn.transport.remoteAddress : undefined;
  }
  /** True once closed (or failed for good). */
  get closed(): boolean {
    return this.#closing !== undefined || this.#terminalError !== undefined;
  }

  /** Adds a state listener. */
  addListener(listener: (state: State) => void): void {
    this.#listeners.add(listener);
  }
  /** Removes a state listener. */
  removeListener(listener: (state: State) => void): void {
    this.#listeners.delete(listener);
  }

  /** Starts connecting; resolves once connected, rejects on `signal` or a terminal error. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#closing) return Promise.reject(new ClientClosedError());
    if (!this.#running) this.#running = this.#run();
    return this.waitConnected(signal);
  }

  /** Resolves when the session is connected (at once if it is). */
  waitConnected(signal?: AbortSignal): Promise<void> {
    if (this.#conn?.ready) return Promise.resolve();
    if (this.#terminalError) return Promise.reject(this.#terminalError);
    if (this.#closing) return Promise.reject(new ClientClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (e: unknown) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.#connectedWaiters.delete(waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#connectedWaiters.add(waiter);
    });
  }

  /** The last connection error, for messages. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Sends a request and resolves with `decode`'s result. While the session
   * is disconnected the request waits (bounded by `signal` and the session).
   */
  submit<T>(
    type: number,
    encode: ((w: JuteWriter) => void) | undefined,
    decode: ReplyDecoder<T>,
    options: SubmitOptions = {},
  ): Promise<T> {
    const refused = this.#terminalError ??
      (this.#closing ? new ClientClosedError(undefined, { path: options.path }) : undefined) ??
      (options.signal?.aborted ? options.signal.reason : undefined);
    if (refused !== undefined) {
      options.finished?.();
      return Promise.reject(refused);
    }
    const signal = options.signal;
    return new Promise<T>((resolve, reject) => {
      const request = newRequest(
        type,
        encode,
        decode as ReplyDecoder<unknown>,
        resolve as (value: unknown) => void,
        reject,
        options.path,
        options.abandoned,
        options.finished,
      );
      if (signal) {
        const onAbort = () => {
          if (request.done) return;
          request.done = true;
          // Sent: its reply still comes (and `abandoned` runs); not sent: it never will.
          if (request.xid === 0) finish(request);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        request.signal = signal;
        request.onAbort = onAbort;
      }
      const conn = this.#conn;
      try {
        if (conn?.ready) this.#write(conn, request);
        else {
          this.#checkSize(request);
          this.#enqueue(request);
        }
      } catch (error) {
        this.#settle(request, error, true);
      }
    });
  }

  /**
   * Queues a request until a connection is ready. With no session to resume
   * (before the first one, or after LOST) the wait is bounded by
   * `sessionWaitTimeout`; with one, by the session itself (LOST fails it).
   */
  #enqueue(request: Request): void {
    const bound = this.#options.sessionWaitTimeout;
    if (bound > 0 && this.#sessionId === 0n) {
      request.bounded = true;
      request.since = performance.now();
      if (this.#waitTimer === undefined) this.#armWaitTimer(bound);
    }
    this.#waiting.push(request);
  }

  #armWaitTimer(delay: number): void {
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = undefined;
      this.#expireWaiting();
    }, Math.max(delay, 1));
  }

  /** Fails the requests that waited `sessionWaitTimeout` for a session; re-arms for the next. */
  #expireWaiting(): void {
    const bound = this.#options.sessionWaitTimeout;
    const now = performance.now();
    let request: Request | undefined;
    while ((request = this.#waiting.at(0)) !== undefined) {
      if (!request.done && (!request.bounded || request.since + bound > now)) break;
      this.#waiting.shift();
      this.#settle(
        request,
        new ConnectionLossError(
          `no session within ${bound} ms (sessionWaitTimeout)`,
          { path: request.path, cause: this.#lastError },
        ),
        true,
      );
    }
    if (request?.bounded) this.#armWaitTimer(request.since + bound - now);
  }

  #clearWaitTimer(): void {
    if (this.#waitTimer !== undefined) clearTimeout(this.#waitTimer);
    this.#waitTimer = undefined;
  }

  /** Adds a credential: sent now if connected (resolving on the server's answer) and on every reconnect. */
  async addAuth(entry: AuthEntry, signal?: AbortSignal): Promise<void> {
    if (this.#terminalError) throw this.#terminalError;
    if (this.#closing) throw new ClientClosedError();
    await this.waitConnected(signal);
    const conn = this.#conn;
    if (!conn) throw new ConnectionLossError("disconnected while adding auth");
    const err = await this.#sendAuth(conn, entry, signal);
    if (err === ErrorCode.AUTH_FAILED) {
      // The server closes the connection after a failed auth; like the Java
      // client we stop here instead of reconnecting into the same failure.
      const error = new AuthFailedError(`the server rejected the ${entry.scheme} credential`);
      this.#fail(error);
      throw error;
    }
    if (err !== 0) throw errorFromCode(err);
    this.#auth.push(entry);
  }

  /**
   * Replaces the host list. When the rebalancing rule of
   * {@linkcode HostList.update} says this client should move, the current
   * connection is dropped (requests in flight fail with
   * `ConnectionLossError`, as on any disconnect) and the session resumes on
   * the chosen server. Returns whether the client is moving.
   */
  updateHosts(hosts: readonly HostAddress[], random?: () => number): boolean {
    const conn = this.#conn;
    const live = conn !== undefined && !conn.closed && conn.ready ? conn : undefined;
    const target = this.#hosts.update(hosts, live?.address, random);
    if (target === undefined || live === undefined) return false;
    this.#log("info", `host list updated; moving to ${target.host}:${target.port}`);
    this.#preferred = target;
    this.#drop(live, new ConnectionLossError("moving to another server after a host list update"));
    return true;
  }

  /**
   * Closes the session: sends closeSession when connected (so ephemeral
   * nodes go at once), fails what is pending with {@linkcode ClientClosedError},
   * and releases the socket and timers. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const conn = this.#conn;
    if (conn?.ready && this.#terminalError === undefined) {
      const timeout = Math.min(Math.max(this.#negotiatedTimeout / 3, 200), 2000);
      const timer = setTimeout(() => conn.transport.close(), timeout);
      try {
        const { request, promise } = this.#internalRequest(
          OpCode.closeSession,
          undefined,
          () => undefined,
        );
        this.#write(conn, request);
        await Promise.race([promise, conn.ended]);
      } catch {
        /* closing anyway */
      } finally {
        clearTimeout(timer);
      }
    }
    // Also ends the reconnect loop's backoff sleep.
    this.#closeController.abort(new ClientClosedError());
    const closedError = new ClientClosedError();
    if (this.#conn) this.#drop(this.#conn, closedError);
    this.#failWaiting(closedError);
    this.#clearLostTimer();
    this.#clearWaitTimer();
    this.watches.notifyState(KeeperState.CLOSED, { dropOneShot: true, dropPersistent: true });
    this.#setState(KeeperState.CLOSED, State.LOST);
    this.#settleConnectedWaiters(closedError);
    await this.#running;
  }

  // ---- the connection loop ------------------------------------------------

  async #run(): Promise<void> {
    const closeSignal = this.#closeController.signal;
    let failures = 0;
    const reconnect = this.#options.reconnect;
    const maxTries = reconnect.maxTries ?? -1;
    while (!closeSignal.aborted && this.#terminalError === undefined) {
      if (failures > 0) {
        if (maxTries >= 0 && failures >= maxTries) {
          this.#fail(
            new ConnectionLossError(`gave up after ${failures} connection attempts`, {
              cause: this.#lastError,
            }),
          );
          return;
        }
        await sleep(this.#backoffDelay(failures), closeSignal).catch(() => {});
        if (closeSignal.aborted) return;
      }
      let address: HostAddress;
      try {
        const preferred = this.#preferred;
        this.#preferred = undefined;
        ({ address } = preferred
          ? { address: preferred }
          : await this.#hosts.next(this.#lastFailed));
      } catch (error) {
        this.#lastError = error;
        failures++;
        continue;
      }
      let conn: Connection | undefined;
      try {
        conn = await this.#open(address);
      } catch (error) {
        if (closeSignal.aborted) return;
        this.#lastError = error;
        this.#lastFailed = address;
        this.#log("debug", `connect to ${address.host}:${address.port} failed`, error);
        if (error instanceof AuthFailedError) {
          this.#fail(error);
          return;
        }
        failures++;
        continue;
      }
      if (conn === undefined) continue; // expired: a new session right away
      failures = 0;
      await conn.ended;
      this.#lastFailed = address;
      if (!closeSignal.aborted) failures = 1; // a short random pause before the next attempt
    }
  }

  /**
   * kazoo's formula: the delay grows by `backoff` per failed attempt up to
   * `maxDelay`, times a random factor in [1 - maxJitter, 1 + maxJitter]. The
   * first attempt after a working connection dropped waits at most `delay`.
   * While a session can still be resumed the delay is also capped at an
   * eighth of its timeout, so a server that is back within the session is
   * found before the session is lost (the Java client retries within 1 s).
   */
  #backoffDelay(failures: number): number {
    const r = this.#options.reconnect;
    const delay = r.delay ?? 100;
    const jitter = Math.min(Math.max(r.maxJitter ?? 0.4, 0), 1);
    let maxDelay = r.maxDelay ?? 5000;
    if (this.#sessionId !== 0n) {
      const timeout = this.#negotiatedTimeout || this.#options.sessionTimeout;
      maxDelay = Math.min(maxDelay, timeout / 8);
    }
    const base = Math.min(delay * Math.pow(r.backoff ?? 2, Math.max(0, failures - 1)), maxDelay);
    const factor = 1 - jitter + Math.random() * 2 * jitter;
    return failures === 1 ? Math.random() * delay : base * factor;
  }

  /**
   * Opens one connection and runs the handshake and the priming (SASL, auth,
   * watches). Resolves with the live connection, or `undefined` when the
   * server said the session expired.
   */
  async #open(address: HostAddress): Promise<Connection | undefined> {
    const options = this.#options;
    const timeoutMs = options.connectTimeout ??
      Math.max(
        (this.#negotiatedTimeout || options.sessionTimeout) / Math.max(this.#hosts.size, 1),
        500,
      );
    const attempt = new AbortController();
    const signal = AbortSignal.any([attempt.signal, this.#closeController.signal]);
    const timer = setTimeout(
      () =>
        attempt.abort(
          new ConnectionLossError(
            `no session with ${address.host}:${address.port} within ${Math.round(timeoutMs)} ms`,
          ),
        ),
      timeoutMs,
    );
    let transport: TransportConnection | undefined;
    try {
      transport = await options.transport.connect(address.host, address.port, {
        tls: this.#tlsFor(address),
        signal,
      });
      const t = transport;
      const onAbort = () => t.close();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        return await this.#handshake(transport, signal, address);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } catch (error) {
      transport?.close();
      if (attempt.signal.aborted && !(error instanceof ZooKeeperError)) throw attempt.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** TLS settings for `address`: verify the name it was resolved from unless told otherwise. */
  #tlsFor(address: HostAddress): TlsOptions | undefined {
    const tls = this.#options.tls;
    return tls ? { ...tls, hostname: tls.hostname ?? address.name ?? address.host } : undefined;
  }

  async #handshake(
    transport: TransportConnection,
    signal: AbortSignal,
    address: HostAddress,
  ): Promise<Connection | undefined> {
    const options = this.#options;
    const reader = new ChunkReader(transport.readable);
    const framing = new FrameState(options.maxReplySize);
    const writer = transport.writable.getWriter();
    const epoch = this.#epoch;
    const resume = this.#sessionId !== 0n && (this.#seenReadWrite || !this.#serverReadOnly);
    const sentSessionId = resume ? this.#sessionId : 0n;
    const w = new JuteWriter(64);
    const start = w.beginFrame();
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: this.#lastZxid,
      timeOut: options.sessionTimeout,
      sessionId: sentSessionId,
      passwd: resume ? this.#password : EMPTY_PASSWORD,
      readOnly: options.readOnly,
    });
    w.endFrame(start);
    const abandon = (error: unknown): never => {
      release(transport, reader, writer);
      throw error;
    };
    // Write nothing else until the answer is in: if the server answers
    // "expired" and closes, more bytes could make it reset the connection
    // before we read that answer.
    await writer.write(w.take()).catch((e) =>
      abandon(
        signal.aborted ? signal.reason : new ConnectionLossError("write failed", { cause: e }),
      )
    );
    let frames0: Uint8Array[];
    try {
      do {
        const { value, done } = await reader.read();
        if (done) {
          throw new ConnectionLossError(
            `${transport.remoteAddress} closed the connection during the handshake ` +
              `(${handshakeRefusalCauses(options).join(", or ")})`,
          );
        }
        reader.received(value.length);
        frames0 = framing.push(value);
      } while (frames0.length === 0);
    } catch (error) {
      return abandon(signal.aborted ? signal.reason : error);
    }
    let response;
    try {
      const r = new JuteReader(frames0[0]);
      if (frames0[0].length === 16) {
        // Not a ConnectResponse but a bare reply header: the server refused
        // the session with an error code (a read-only server without local
        // sessions answers NOTREADONLY).
        r.int();
        r.long();
        const err = r.int();
        throw errorFromCode(err, {
          cause: new Error(`${transport.remoteAddress} refused the session`),
        });
      }
      response = readConnectResponse(r);
    } catch (error) {
      return abandon(error);
    }
    if (epoch !== this.#epoch) {
      // The session was declared lost while this handshake was in flight.
      return abandon(new ConnectionLossError("session changed during the handshake"));
    }
    if (response.timeOut <= 0) {
      release(transport, reader, writer);
      this.#expire(new SessionExpiredError("the server says the session expired"));
      return undefined;
    }
    const newSession = sentSessionId === 0n || response.sessionId !== this.#sessionId;
    this.#sessionId = response.sessionId;
    this.#password = (response.passwd ?? EMPTY_PASSWORD).slice();
    this.#negotiatedTimeout = response.timeOut;
    this.#serverReadOnly = response.readOnly === true;
    if (!this.#serverReadOnly) this.#seenReadWrite = true;
    // The clock towards LOST runs from the first disconnect until a
    // connection is ready, whatever phase a connection dies in; only a
    // different session stops the old one's clock.
    if (newSession) this.#clearLostTimer();

    let end!: () => void;
    const ended = new Promise<void>((resolve) => end = resolve);
    const now = performance.now();
    const conn: Connection = {
      transport,
      address,
      writer,
      reader,
      framing,
      out: new JuteWriter(16 * 1024),
      inflight: new Deque(),
      authWaiters: new Deque(),
      flushScheduled: false,
      closed: false,
      ready: false,
      lastSend: now,
      lastRecv: now,
      timer: undefined,
      tickDue: now,
      judgeFrom: now,
      readTurnFor: -1,
      ...linkTimings(response.timeOut),
      ended,
      end,
    };
    this.#conn = conn;
    this.#scheduleTick(conn);
    void this.#readLoop(conn, frames0.slice(1));
    try {
      await this.#prime(conn, signal);
    } catch (error) {
      this.#drop(conn, error);
      throw error;
    }
    if (conn.closed) throw this.#lastError ?? new ConnectionLossError("closed while priming");
    if (this.#terminalError || this.#closeController.signal.aborted) {
      this.#drop(conn, this.#terminalError ?? new ClientClosedError());
      return undefined;
    }
    conn.ready = true;
    this.#clearLostTimer();
    this.#clearWaitTimer();
    this.#lastFailed = undefined;
    if (this.#serverReadOnly) this.#startProbing(conn, address);
    this.#log(
      "info",
      `connected to ${transport.remoteAddress}, session 0x${this.#sessionId.toString(16)}` +
        `${newSession ? " (new)" : ""}, timeout ${this.#negotiatedTimeout} ms` +
        `${this.#serverReadOnly ? ", read-only" : ""}`,
    );
    // Queued requests go out after auth and the watch re-registration.
    let queued: Request | undefined;
    while ((queued = this.#waiting.shift()) !== undefined) {
      if (queued.done) continue;
      try {
        this.#write(conn, queued);
      } catch (error) {
        this.#settle(queued, error, true);
      }
    }
    this.#setState(
      this.#serverReadOnly ? KeeperState.CONNECTED_RO : KeeperState.CONNECTED,
      State.CONNECTED,
    );
    this.watches.notifyState(this.#keeperState);
    this.#settleConnectedWaiters();
    return conn;
  }

  async #prime(conn: Connection, signal: AbortSignal): Promise<void> {
    const sasl = this.#options.sasl;
    if (sasl) await this.#saslAuthenticate(conn, sasl, signal);
    // Credentials before anything else; wait for the answers so that
    // "connected" means "authenticated".
    const answers = this.#auth.map((entry) => this.#sendAuth(conn, entry, signal));
    for (const err of await Promise.all(answers)) {
      if (err === ErrorCode.AUTH_FAILED) {
        throw new AuthFailedError("the server rejected the credentials");
      }
    }
    // Re-register watches: SetWatches for plain lists (pre-3.6 servers), SetWatches2 otherwise.
    const lists = this.watches.lists();
    const limit = Math.min(
      SET_WATCHES_MAX_BYTES,
      this.#options.maxPacketSize - SET_WATCHES_OVERHEAD,
    );
    for (const batch of batchWatchLists(lists, limit)) {
      const persistent = batch.persistent.length > 0 || batch.recursive.length > 0;
      const zxid = this.#lastZxid;
      const request = this.#internalRequest(
        persistent ? OpCode.setWatches2 : OpCode.setWatches,
        (w) => {
          if (persistent) {
            writeSetWatches2(w, {
              relativeZxid: zxid,
              dataWatches: batch.data,
              existWatches: batch.exist,
              childWatches: batch.child,
              persistentWatches: batch.persistent,
              persistentRecursiveWatches: batch.recursive,
            });
          } else {
            writeSetWatches(w, {
              relativeZxid: zxid,
              dataWatches: batch.data,
              existWatches: batch.exist,
              childWatches: batch.child,
            });
          }
        },
        (err) => {
          if (err !== 0) this.#log("warn", `re-registering watches failed with code ${err}`);
        },
      );
      this.#write(conn, request.request);
    }
  }

  async #saslAuthenticate(conn: Connection, sasl: SaslOptions, signal: AbortSignal): Promise<void> {
    const client = new DigestMd5Client({ username: sasl.username, password: sasl.password });
    let token: Uint8Array = client.initialResponse();
    for (let round = 0; round < 10; round++) {
      const { request, promise } = this.#internalRequest(
        OpCode.sasl,
        (w) => writeGetSASLRequest(w, { token }),
        (err, r) => {
          if (err !== 0) {
            throw new AuthFailedError(`SASL authentication failed (server code ${err})`);
          }
          return readSetSASLResponse(r).token ?? new Uint8Array(0);
        },
      );
      this.#write(conn, request);
      const challenge = await abortable(promise, signal);
      token = client.evaluateChallenge(challenge);
      if (client.complete) return;
    }
    throw new AuthFailedError("SASL exchange did not complete");
  }

  #sendAuth(conn: Connection, entry: AuthEntry, signal?: AbortSignal): Promise<number> {
    const promise = new Promise<number>((resolve) => conn.authWaiters.push(resolve));
    const out = conn.out;
    const start = out.beginFrame();
    out.int(Xid.AUTH);
    out.int(OpCode.auth);
    writeAuthPacket(out, { type: 0, scheme: entry.scheme, auth: entry.credential });
    out.endFrame(start);
    this.#scheduleFlush(conn);
    return abortable(promise, signal);
  }

  /** A request the session itself sends; its promise never reports an unhandled rejection. */
  #internalRequest<T>(
    type: number,
    encode: ((w: JuteWriter) => void) | undefined,
    decode: ReplyDecoder<T>,
  ): { request: Request; promise: Promise<T> } {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    promise.catch(() => {});
    const request = newRequest(
      type,
      encode,
      decode as ReplyDecoder<unknown>,
      resolve as (value: unknown) => void,
      reject,
    );
    return { request, promise };
  }

  // ---- writing ------------------------------------------------------------

  #nextXid(): number {
    this.#xid = this.#xid >= 0x7fffffff ? 1 : this.#xid + 1;
    return this.#xid;
  }

  #checkSize(request: Request): void {
    if (!request.encode) return;
    const w = new JuteWriter(256);
    const start = w.beginFrame();
    w.int(0);
    w.int(request.type);
    request.encode(w);
    const length = w.endFrame(start);
    if (length > this.#options.maxPacketSize) {
      throw new RequestTooLargeError(length, this.#options.maxPacketSize, { path: request.path });
    }
  }

  #write(conn: Connection, request: Request): void {
    const out = conn.out;
    const start = out.beginFrame();
    const xid = this.#nextXid();
    out.int(xid);
    out.int(request.type);
    try {
      request.encode?.(out);
    } catch (error) {
      out.truncate(start);
      throw error;
    }
    const length = out.endFrame(start);
    if (length > this.#options.maxPacketSize) {
      out.truncate(start);
      throw new RequestTooLargeError(length, this.#options.maxPacketSize, { path: request.path });
    }
    request.xid = xid;
    conn.inflight.push(request);
    if (this.#options.requestTimeout > 0) {
      request.since = performance.now();
      // A deadline sooner than the next tick moves the tick.
      if (conn.inflight.length === 1) this.#rescheduleTick(conn);
    }
    if (out.length >= EARLY_FLUSH_BYTES) this.#flush(conn);
    else this.#scheduleFlush(conn);
  }

  #scheduleFlush(conn: Connection): void {
    if (conn.flushScheduled) return;
    conn.flushScheduled = true;
    queueMicrotask(() => this.#flush(conn));
  }

  #flush(conn: Connection): void {
    conn.flushScheduled = false;
    if (conn.closed || conn.out.length === 0) return;
    const bytes = conn.out.take();
    conn.lastSend = performance.now();
    conn.writer.write(bytes).catch((error) =>
      this.#drop(conn, new ConnectionLossError("write failed", { cause: error }))
    );
  }

  #sendPing(conn: Connection): void {
    const out = conn.out;
    const start = out.beginFrame();
    out.int(Xid.PING);
    out.int(OpCode.ping);
    out.endFrame(start);
    this.#flush(conn);
  }

  // ---- timers -------------------------------------------------------------

  /**
   * One timer per connection. It drops a connection silent for longer than
   * the read timeout, pings one idle for a ping interval, and fails requests
   * in flight past `requestTimeout` (the oldest is at the front: the server
   * answers in order).
   */
  #scheduleTick(conn: Connection): void {
    const now = performance.now();
    const readDeadline = Math.max(conn.lastRecv + conn.readTimeout, conn.judgeFrom);
    const pingAt = conn.lastSend + conn.pingInterval;
    let due = Math.min(readDeadline, pingAt);
    const requestTimeout = this.#options.requestTimeout;
    if (requestTimeout > 0) {
      const oldest = this.#oldestUnanswered(conn);
      if (oldest !== undefined) due = Math.min(due, oldest.since + requestTimeout);
    }
    conn.tickDue = Math.max(due, now + 1);
    conn.timer = setTimeout(() => this.#tick(conn), conn.tickDue - now);
  }

  #rescheduleTick(conn: Connection): void {
    if (conn.timer !== undefined) clearTimeout(conn.timer);
    this.#scheduleTick(conn);
  }

  /** The oldest request in flight whose caller still waits. */
  #oldestUnanswered(conn: Connection): Request | undefined {
    for (let i = 0; i < conn.inflight.length; i++) {
      const request = conn.inflight.at(i)!;
      if (!request.done) return request;
    }
    return undefined;
  }

  #tick(conn: Connection): void {
    conn.timer = undefined;
    if (conn.closed) return;
    const now = performance.now();
    const late = now - conn.tickDue > LATE_TICK_MS;
    // Once per byte received, so that a loop that keeps lagging cannot keep a dead link.
    if (late && conn.judgeFrom <= conn.lastRecv) {
      // The event loop was blocked (a slow callback): the server's bytes may
      // be waiting unread in the socket, and timers run before they are
      // read. Ping, and judge the link no sooner than a whole read timeout
      // from now, as if the link had just spoken (a loaded machine may take
      // a while to answer the ping too).
      conn.judgeFrom = now + conn.readTimeout;
      this.#sendPing(conn);
      this.#scheduleTick(conn);
      return;
    }
    if (now >= conn.judgeFrom && now - conn.lastRecv >= conn.readTimeout) {
      if (late && conn.readTurnFor !== conn.lastRecv) {
        // A second stall before anything was read: the answer to the ping
        // may be in the socket, and timers run before sockets are read.
        // Let the loop read once, then judge.
        conn.readTurnFor = conn.lastRecv;
        conn.tickDue = now + READ_TURN_MS;
        conn.timer = setTimeout(() => this.#tick(conn), READ_TURN_MS);
        return;
      }
      this.#drop(
        conn,
        new ConnectionLossError(
          `nothing from ${conn.transport.remoteAddress} for ${Math.round(now - conn.lastRecv)} ms`,
        ),
      );
      return;
    }
    if (now - conn.lastSend >= conn.pingInterval) this.#sendPing(conn);
    const requestTimeout = this.#options.requestTimeout;
    if (requestTimeout > 0) {
      let request: Request | undefined;
      while ((request = this.#oldestUnanswered(conn)) && request.since + requestTimeout <= now) {
        // Its reply, if it ever comes, is matched and dropped (or undone by `abandoned`).
        this.#settle(
          request,
          new RequestTimeoutError(
            `no reply from ${conn.transport.remoteAddress} within ${requestTimeout} ms ` +
              "(requestTimeout); the request may still be applied",
            { path: request.path },
          ),
          true,
        );
      }
    }
    this.#scheduleTick(conn);
  }

  #clearLostTimer(): void {
    if (this.#lostTimer !== undefined) clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
  }

  // ---- read-only mode -----------------------------------------------------

  /**
   * While connected to a read-only server, look for a read-write one: ask
   * every other host `isro` (100 ms, doubling up to 60 s), and move to the
   * first that answers `rw`.
   */
  #startProbing(conn: Connection, current: HostAddress): void {
    this.#stopProbing();
    const probe = {
      timer: undefined as ReturnType<typeof setTimeout> | undefined,
      delay: 100,
      stop: new AbortController(),
    };
    this.#probe = probe;
    const round = async () => {
      probe.timer = undefined;
      const candidates = await this.#probeCandidates(current);
      for (const address of candidates) {
        if (probe.stop.signal.aborted || conn.closed) return;
        let answer = "";
        const attempt = new AbortController();
        const timeout = setTimeout(() => attempt.abort(), 2000);
        try {
          answer = await sendFourLetterWord(
            this.#options.transport,
            address.host,
            address.port,
            "isro",
            {
              tls: this.#tlsFor(address),
              signal: AbortSignal.any([attempt.signal, probe.stop.signal]),
            },
          );
        } catch {
          // unreachable or not answering: try the next one
        } finally {
          clearTimeout(timeout);
        }
        if (answer.trim() === "rw" && !probe.stop.signal.aborted && !conn.closed) {
          this.#log("info", `read-write server found at ${address.host}:${address.port}; moving`);
          this.#preferred = address;
          this.#drop(conn, new ConnectionLossError("moving to a read-write server"));
          return;
        }
      }
      if (probe.stop.signal.aborted || conn.closed) return;
      probe.delay = Math.min(probe.delay * 2, 60_000);
      probe.timer = setTimeout(() => void round(), probe.delay);
    };
    probe.timer = setTimeout(() => void round(), probe.delay);
  }

  async #probeCandidates(current: HostAddress): Promise<HostAddress[]> {
    const all = await this.#hosts.resolveAll(true);
    return all.filter((a) => !(a.host === current.host && a.port === current.port));
  }

  #stopProbing(): void {
    const probe = this.#probe;
    if (!probe) return;
    this.#probe = undefined;
    probe.stop.abort();
    if (probe.timer !== undefined) clearTimeout(probe.timer);
  }

  // ---- reading ------------------------------------------------------------

  async #readLoop(conn: Connection, pending: Uint8Array[]): Promise<void> {
    try {
      let wait = this.#handleFrames(conn, pending, 0);
      if (wait !== undefined) await wait;
      const reader = conn.reader;
      const framing = conn.framing;
      while (!conn.closed) {
        const { value, done } = await reader.read();
        if (done) {
          if (framing.buffered > 0) {
            throw new MarshallingError(
              `stream ended inside a frame (${framing.buffered} bytes)`,
            );
          }
          throw new ConnectionLossError(`${conn.transport.remoteAddress} closed the connection`);
        }
        if (conn.closed) return;
        conn.lastRecv = performance.now();
        reader.received(value.length);
        const frames = framing.push(value);
        if (frames.length === 0) continue;
        wait = this.#handleFrames(conn, frames, 0);
        if (wait !== undefined) await wait;
      }
    } catch (error) {
      this.#drop(
        conn,
        error instanceof ZooKeeperError
          ? error
          : new ConnectionLossError(`connection to ${conn.transport.remoteAddress} failed`, {
            cause: error,
          }),
      );
    }
  }

  /**
   * Handles the frames of one chunk in order. A watch event that follows a
   * reply in the same chunk waits until the reply's continuations (the
   * caller's code after its `await`) have run: ZooKeeper promises that a
   * client sees replies and events in the order the server sent them.
   * Synchronous (no promise per chunk) unless it has to wait: then the
   * rest of the chunk is handled after that wait, and the promise returned
   * settles when it has been.
   */
  #handleFrames(conn: Connection, frames: Uint8Array[], from: number): Promise<void> | undefined {
    let replied = false;
    for (let i = from; i < frames.length && !conn.closed; i++) {
      const frame = frames[i];
      if (replied && isNotification(frame)) return this.#handleFramesLater(conn, frames, i);
      if (this.#handleFrame(conn, frame)) replied = true;
    }
    return undefined;
  }

  /** The rest of a chunk from a watch event on, once the replies' continuations have run. */
  async #handleFramesLater(conn: Connection, frames: Uint8Array[], from: number): Promise<void> {
    await afterMicrotasks();
    if (conn.closed) return;
    const wait = this.#handleFrames(conn, frames, from);
    if (wait !== undefined) await wait;
  }

  /** Handles one frame; returns whether it settled a caller's request. */
  #handleFrame(conn: Connection, frame: Uint8Array): boolean {
    const r = new JuteReader(frame);
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    if (xid === Xid.NOTIFICATION) {
      const event = readWatcherEvent(r);
      const type = EVENT_TYPES[event.type];
      if (type === undefined) return false;
      this.watches.notify(type, event.path ?? "/", this.#keeperState, event.zxid ?? zxid);
      return false;
    }
    if (xid === Xid.PING) return false;
    if (xid === Xid.AUTH) {
      const waiter = conn.authWaiters.shift();
      if (err === ErrorCode.AUTH_FAILED && conn.ready) {
        // Final, and the server closes the connection next: fail now, before
        // that close could look like a passing disconnect (SUSPENDED).
        this.#fail(new AuthFailedError("the server rejected the credentials"));
      }
      waiter?.(err);
      if (err === ErrorCode.AUTH_FAILED && !waiter) {
        throw new AuthFailedError("the server rejected the credentials");
      }
      return false;
    }
    const request = conn.inflight.shift();
    if (request === undefined || request.xid !== xid) {
      if (request) conn.inflight.push(request); // failed below with the rest
      throw new MarshallingError(
        `reply xid ${xid} does not match the next pending request (${request?.xid ?? "none"})`,
      );
    }
    if (zxid > this.#lastZxid) this.#lastZxid = zxid;
    finish(request);
    if (request.done) {
      if (request.abandoned) {
        try {
          request.abandoned(err);
        } catch (error) {
          this.#log("warn", "cleanup after an abandoned request failed", error);
        }
      }
      return false;
    }
    let value: unknown;
    try {
      value = request.decode(err, r);
    } catch (error) {
      this.#settle(request, error, true);
      // A body that does not decode breaks the protocol; a server error code does not.
      if (err === 0 && error instanceof MarshallingError) throw error;
      return true;
    }
    this.#settle(request, value, false);
    return true;
  }

  #settle(request: Request, value: unknown, failed: boolean): void {
    if (request.xid === 0) finish(request);
    if (request.done) return;
    request.done = true;
    if (request.signal) request.signal.removeEventListener("abort", request.onAbort!);
    if (failed) request.reject(value);
    else request.resolve(value);
  }

  // ---- losing connections and sessions ------------------------------------

  /** Ends a connection: fails what it had in flight and moves to SUSPENDED. */
  #drop(conn: Connection, error: unknown): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#stopProbing();
    if (conn.timer !== undefined) clearTimeout(conn.timer);
    conn.timer = undefined;
    release(conn.transport, conn.reader, conn.writer);
    this.#lastError = error;
    const wasReady = conn.ready;
    conn.ready = false;
    const lossError = error instanceof ZooKeeperError &&
        (error instanceof ClientClosedError || error instanceof SessionExpiredError ||
          error instanceof AuthFailedError)
      ? error
      : new ConnectionLossError(
        `connection to ${conn.transport.remoteAddress} lost before the reply`,
        { cause: error },
      );
    for (const request of conn.inflight.drain()) {
      finish(request);
      this.#settle(request, lossError, true);
    }
    for (const waiter of conn.authWaiters.drain()) waiter(ErrorCode.CONNECTION_LOSS);
    if (this.#conn === conn) this.#conn = undefined;
    // Closing, or a final failure: LOST follows, never a SUSPENDED blip or a clock.
    const passing = !this.closed && !this.#closeController.signal.aborted;
    if (passing) {
      // Started before listeners run, so one that closes the client stops it.
      if (this.#lostTimer === undefined) this.#startLostTimer();
      if (wasReady) {
        this.#log("info", `disconnected from ${conn.transport.remoteAddress}`, error);
        this.#setState(KeeperState.CONNECTING, State.SUSPENDED);
        this.watches.notifyState(KeeperState.CONNECTING);
      }
    }
    conn.end();
  }

  /**
   * After one negotiated timeout spent disconnected the server has expired
   * the session: say so on our own clock rather than wait for a server.
   */
  #startLostTimer(): void {
    this.#clearLostTimer();
    if (this.#sessionId === 0n || this.closed) return;
    const timeout = this.#negotiatedTimeout || this.#options.sessionTimeout;
    this.#lostTimer = setTimeout(() => {
      this.#lostTimer = undefined;
      if (this.#conn?.ready || this.closed) return;
      this.#expire(
        new SessionExpiredError(`disconnected for longer than the session timeout (${timeout} ms)`),
      );
    }, timeout);
  }

  /** The session is gone: LOST, fail what is pending, start over with a new one. */
  #expire(error: SessionExpiredError): void {
    this.#epoch++;
    this.#clearLostTimer();
    this.#log("warn", `session 0x${this.#sessionId.toString(16)} expired: ${error.message}`);
    this.#sessionId = 0n;
    this.#password = EMPTY_PASSWORD;
    this.#negotiatedTimeout = 0;
    // A new session starts afresh, as a new Java handle and kazoo's _reset()
    // do: with zxid 0 (a server with a shorter history, say one rebuilt
    // without its data, refuses a client that has seen later zxids), and
    // not yet having seen a read/write server (that flag is the session's).
    this.#lastZxid = 0n;
    this.#seenReadWrite = false;
    this.#failWaiting(error);
    this.watches.notifyState(KeeperState.EXPIRED_SESSION, { dropOneShot: true });
    this.#setState(KeeperState.EXPIRED_SESSION, State.LOST);
  }

  /** A terminal failure (auth failed, retries exhausted): fail everything and stop. */
  #fail(error: ZooKeeperError): void {
    if (this.#terminalError) return;
    this.#terminalError = error;
    this.#clearLostTimer();
    this.#clearWaitTimer();
    this.#failWaiting(error);
    if (this.#conn) this.#drop(this.#conn, error);
    const keeperState = error instanceof AuthFailedError
      ? KeeperState.AUTH_FAILED
      : KeeperState.CLOSED;
    this.watches.notifyState(keeperState, { dropOneShot: true, dropPersistent: true });
    this.#setState(keeperState, State.LOST);
    this.#settleConnectedWaiters(error);
  }

  /** Resolves every `waitConnected` caller, or rejects them all with `error`. */
  #settleConnectedWaiters(error?: unknown): void {
    for (const w of this.#connectedWaiters) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
    this.#connectedWaiters.clear();
  }

  #failWaiting(error: unknown): void {
    let request: Request | undefined;
    while ((request = this.#waiting.shift()) !== undefined) this.#settle(request, error, true);
  }

  /**
   * Moves to a state and tells the listeners, each in order of the
   * transitions: a listener that causes the next transition (closing the
   * client on SUSPENDED, say) does not make the others see them out of
   * order. Listener errors and rejections are logged, never thrown.
   */
  #setState(keeperState: KeeperState, state: State): void {
    this.#keeperState = keeperState;
    if (state === this.#state) return;
    this.#state = state;
    this.#stateQueue.push(state);
    if (this.#telling) return;
    this.#telling = true;
    try {
      let next: State | undefined;
      while ((next = this.#stateQueue.shift()) !== undefined) {
        for (const listener of [...this.#listeners]) {
          callListener(
            listener,
            next,
            (error) => this.#log("warn", "a state listener failed", error),
          );
        }
      }
    } finally {
      this.#telling = false;
    }
  }

  #log(level: keyof Logger, ...args: unknown[]): void {
    this.#options.logger[level]?.(...args);
  }
}

/**
 * A minimal ZooKeeper session over a raw TCP socket, independent of the real
 * client: it lets harness tests (and tests of the client) take over, create
 * ephemerals in, and close a session by hand. It hand-encodes the few jute
 * records it needs, so it has no dependency on the codec under test.
 *
 * @module
 */

import { connect as netConnect, type Socket } from "node:net";
import { ConnectionLossError, errorFromCode, SessionExpiredError } from "../errors.ts";
import { concat } from "../bytes.ts";
import { deadline, parseAddress } from "./util.ts";

/** Request opcodes the raw session uses (ZooDefs.OpCode). */
const Op = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  getChildren: 8,
  ping: 11,
  createContainer: 19,
  createTTL: 21,
  closeSession: -11,
} as const;
const PING_XID = -2;
const WATCH_XID = -1;
const NO_NODE = -101;

/** Jute big-endian writer for the handful of types used here. */
class Writer {
  #parts: Uint8Array[] = [];
  #view(size: number): DataView {
    const bytes = new Uint8Array(size);
    this.#parts.push(bytes);
    return new DataView(bytes.buffer);
  }
  int(value: number): this {
    this.#view(4).setInt32(0, value);
    return this;
  }
  long(value: bigint): this {
    this.#view(8).setBigInt64(0, value);
    return this;
  }
  bool(value: boolean): this {
    this.#view(1).setUint8(0, value ? 1 : 0);
    return this;
  }
  buffer(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    this.#parts.push(value);
    return this;
  }
  string(value: string): this {
    return this.buffer(new TextEncoder().encode(value));
  }
  bytes(): Uint8Array {
    return concat(this.#parts);
  }
  raw(value: Uint8Array): this {
    this.#parts.push(value);
    return this;
  }
  /** The bytes with a 4-byte length prefix: one frame on the wire. */
  frame(): Uint8Array {
    return withLength(this.bytes());
  }
}

/** Jute big-endian reader over one frame. */
class Reader {
  #view: DataView;
  #offset = 0;
  constructor(readonly data: Uint8Array) {
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  get remaining(): number {
    return this.data.length - this.#offset;
  }
  int(): number {
    const value = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return value;
  }
  long(): bigint {
    const value = this.#view.getBigInt64(this.#offset);
    this.#offset += 8;
    return value;
  }
  bool(): boolean {
    return this.data[this.#offset++] !== 0;
  }
  buffer(): Uint8Array | null {
    const length = this.int();
    if (length < 0) return null;
    const value = this.data.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
  string(): string {
    return new TextDecoder().decode(this.buffer() ?? new Uint8Array());
  }
}

/** Splits a byte stream into length-prefixed frames. */
class FrameSplitter {
  #buffer: Uint8Array = new Uint8Array(0);
  push(chunk: Uint8Array): Uint8Array[] {
    this.#buffer = this.#buffer.length === 0
      ? new Uint8Array(chunk)
      : concat([this.#buffer, chunk]);
    const frames: Uint8Array[] = [];
    while (this.#buffer.length >= 4) {
      const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getInt32(0);
      if (length < 0 || length > 64 * 1024 * 1024) throw new Error(`bad frame length ${length}`);
      if (this.#buffer.length < 4 + length) break;
      frames.push(this.#buffer.slice(4, 4 + length));
      this.#buffer = this.#buffer.subarray(4 + length);
    }
    return frames;
  }
}

function connectRequest(options: {
  sessionTimeout: number;
  sessionId: bigint;
  sessionPassword: Uint8Array;
  readOnly: boolean;
}): Uint8Array {
  return new Writer()
    .int(0) // protocolVersion
    .long(0n) // lastZxidSeen
    .int(options.sessionTimeout)
    .long(options.sessionId)
    .buffer(options.sessionPassword)
    .bool(options.readOnly)
    .frame();
}

function requestFrame(xid: number, type: number, body: Uint8Array = new Uint8Array()): Uint8Array {
  return new Writer().int(xid).int(type).raw(body).frame();
}

/**
 * Connects to `host:port`. Until the socket closes, an abort of `signal`
 * destroys it. Socket errors never throw: callers watch `closed`.
 */
function openSocket(
  host: string,
  port: number,
  signal: AbortSignal,
): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = netConnect({ host, port });
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    let failure: unknown;
    const onAbort = () => {
      failure = signal.reason;
      socket.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => failure ??= error);
    socket.once("connect", () => resolve({ socket, closed }));
    // After "connect" this rejection is a no-op; it only unhooks the signal.
    closed.then(() => {
      signal.removeEventListener("abort", onAbort);
      reject(failure ?? new ConnectionLossError(`connection to ${host}:${port} closed`));
    });
  });
}

/** Options of {@linkcode RawSession.connect}. */
export interface RawSessionOptions {
  /** Requested session timeout in ms (default 10000). */
  sessionTimeout?: number;
  /** Resume this session instead of creating one (default 0n: new session). */
  sessionId?: bigint;
  /** The password of `sessionId` (default 16 zero bytes). */
  sessionPassword?: Uint8Array;
  /** Ask for a read-only-capable session (default false). */
  readOnly?: boolean;
  /** Ping the server every third of the negotiated timeout (default true). */
  ping?: boolean;
  /** Milliseconds to wait for the connection and handshake (default 10000). */
  timeout?: number;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
}

/** Options of {@linkcode RawSession.create}. */
export interface RawCreateOptions {
  /** Ephemeral node (flag 1). */
  ephemeral?: boolean;
  /** Sequential node (flag 2). */
  sequential?: boolean;
  /** Container node (opcode createContainer). */
  container?: boolean;
  /** Persistent node with this TTL in ms (opcode createTTL; needs extended types). */
  ttl?: number;
}

interface Pending {
  xid: number;
  resolve(reply: Reader): void;
  reject(error: unknown): void;
  path?: string;
}

/**
 * A ZooKeeper session over a raw socket, with just enough protocol for
 * harness tests: create, exists, getData, getChildren, delete, ping and
 * closeSession. Requests are answered in order, as ZooKeeper guarantees.
 *
 * @example
 * ```ts
 * import { RawSession } from "@zk/client/testing";
 * await using session = await RawSession.connect("127.0.0.1:2181");
 * await session.create("/owned-by-me", "x", { ephemeral: true });
 * console.log(session.sessionId, await session.exists("/owned-by-me")); // true
 * ```
 */
export class RawSession {
  /** The session's id. */
  readonly sessionId: bigint;
  /** The session's password. */
  readonly sessionPassword: Uint8Array;
  /** The timeout the server granted, in ms. */
  readonly negotiatedTimeout: number;
  /** Whether the server only allows reads on this session. */
  readonly readOnly: boolean;
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  /** The server this session is connected to, as `host:port`. */
  readonly address: string;

  #socket: Socket;
  #splitter: FrameSplitter;
  #pending: Pending[] = [];
  #xid = 1;
  #isClosed = false;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    socket: Socket,
    splitter: FrameSplitter,
    address: string,
    reply: Reader,
    ping: boolean,
    closed: Promise<void>,
    leftover: Uint8Array[],
  ) {
    this.#socket = socket;
    this.#splitter = splitter;
    this.address = address;
    reply.int(); // protocolVersion
    this.negotiatedTimeout = reply.int();
    this.sessionId = reply.long();
    this.sessionPassword = reply.buffer() ?? new Uint8Array();
    this.readOnly = reply.remaining > 0 ? reply.bool() : false;
    this.closed = closed.then(() => {
      this.#isClosed = true;
      if (this.#pinger !== undefined) clearInterval(this.#pinger);
      for (const pending of this.#pending.splice(0)) {
        pending.reject(new ConnectionLossError("connection closed", { path: pending.path }));
      }
    });
    this.#onFrames(leftover);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.resume();
    if (ping) {
      this.#pinger = setInterval(() => {
        if (!this.#isClosed) socket.write(requestFrame(PING_XID, Op.ping));
      }, Math.max(100, Math.floor(this.negotiatedTimeout / 3)));
    }
  }

  /**
   * Opens a session (or resumes `options.sessionId`).
   *
   * @throws {SessionExpiredError} when resuming a session the server no longer has.
   */
  static async connect(
    address: string | { host: string; port: number },
    options: RawSessionOptions = {},
  ): Promise<RawSession> {
    const { host, port } = parseAddress(address);
    const limit = deadline(
      options.timeout ?? 10_000,
      `raw session to ${host}:${port}`,
      options.signal,
    );
    try {
      const { socket, closed } = await openSocket(host, port, limit.signal);
      const splitter = new FrameSplitter();
      let leftover: Uint8Array[] = [];
      const first = new Promise<Uint8Array>((resolve, reject) => {
        const onData = (chunk: Uint8Array) => {
          let frames: Uint8Array[];
          try {
            frames = splitter.push(chunk);
          } catch (error) {
            socket.destroy();
            return reject(error);
          }
          if (frames.length === 0) return;
          // Hold further bytes until the session object takes over the socket.
          socket.pause();
          socket.off("data", onData);
          leftover = frames.slice(1);
          resolve(frames[0]);
        };
        socket.on("data", onData);
        closed.then(() => reject(new ConnectionLossError(`${host}:${port} closed the handshake`)));
      });
      socket.write(connectRequest({
        sessionTimeout: options.sessionTimeout ?? 10_000,
        sessionId: options.sessionId ?? 0n,
        sessionPassword: options.sessionPassword ?? new Uint8Array(16),
        readOnly: options.readOnly ?? false,
      }));
      let frame: Uint8Array;
      try {
        frame = await first;
      } catch (error) {
        await closed;
        throw limit.signal.aborted ? limit.signal.reason : error;
      }
      const probe = new Reader(frame);
      probe.int();
      if (probe.int() <= 0) {
        socket.destroy();
        await closed;
        throw new SessionExpiredError(
          `session 0x${(options.sessionId ?? 0n).toString(16)} has expired`,
        );
      }
      return new RawSession(
        socket,
        splitter,
        `${host}:${port}`,
        new Reader(frame),
        options.ping ?? true,
        closed,
        leftover,
      );
    } finally {
      limit.clear();
    }
  }

  /** Whether the socket is still open. */
  get connected(): boolean {
    return !this.#isClosed && !this.#socket.destroyed;
  }

  #onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.push(chunk);
    } catch {
      this.#socket.destroy();
      return;
    }
    this.#onFrames(frames);
  }

  #onFrames(frames: Uint8Array[]): void {
    for (const frame of frames) {
      const reply = new Reader(frame);
      const xid = reply.int();
      reply.long(); // zxid
      const err = reply.int();
      if (xid === PING_XID || xid === WATCH_XID) continue;
      const pending = this.#pending.shift();
      if (pending === undefined || pending.xid !== xid) {
        this.#socket.destroy();
        return;
      }
      if (err === 0) pending.resolve(reply);
      else pending.reject(errorFromCode(err, { path: pending.path }));
    }
  }

  /**
   * Sends a request (`type` is the opcode, `body` its encoded record) and
   * resolves with the reply body after the reply header; a non-zero error
   * code rejects with the matching error class.
   *
   * @example
   * ```ts
   * import type { RawSession } from "@zk/client/testing";
   * declare const session: RawSession;
   * const SYNC = 9;
   * const path = new TextEncoder().encode("/");
   * const body = new Uint8Array([0, 0, 0, path.length, ...path]);
   * await session.request(SYNC, body, "/");
   * ```
   */
  async request(type: number, body?: Uint8Array, path?: string): Promise<Uint8Array> {
    const reply = await this.#call(type, body, path);
    return reply.data.subarray(reply.data.length - reply.remaining);
  }

  #call(type: number, body?: Uint8Array, path?: string): Promise<Reader> {
    if (!this.connected) {
      return Promise.reject(new ConnectionLossError("connection closed", { path }));
    }
    const xid = this.#xid++;
    return new Promise<Reader>((resolve, reject) => {
      this.#pending.push({ xid, resolve, reject, path });
      this.#socket.write(requestFrame(xid, type, body));
    });
  }

  /**
   * Creates a node with an open ACL; returns the created path.
   *
   * @example
   * ```ts
   * import type { RawSession } from "@zk/client/testing";
   * declare const session: RawSession;
   * await session.create("/e", "data", { ephemeral: true });
   * ```
   */
  async create(
    path: string,
    data: Uint8Array | string = new Uint8Array(),
    options: RawCreateOptions = {},
  ): Promise<string> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let flags = (options.ephemeral ? 1 : 0) | (options.sequential ? 2 : 0);
    if (options.container) flags = 4;
    if (options.ttl !== undefined) flags = options.sequential ? 6 : 5;
    const body = new Writer()
      .string(path)
      .buffer(bytes)
      .int(1) // one ACL: world:anyone, all permissions
      .int(31)
      .string("world")
      .string("anyone")
      .int(flags);
    if (options.ttl !== undefined) body.long(BigInt(options.ttl));
    const type = options.ttl !== undefined
      ? Op.createTTL
      : options.container
      ? Op.createContainer
      : Op.create;
    const reply = await this.#call(type, body.bytes(), path);
    return reply.string();
  }

  /** Whether `path` exists. */
  async exists(path: string): Promise<boolean> {
    try {
      await this.#call(Op.exists, new Writer().string(path).bool(false).bytes(), path);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === NO_NODE) return false;
      throw error;
    }
  }

  /** The data of `path`. */
  async getData(path: string): Promise<Uint8Array> {
    const reply = await this.#call(
      Op.getData,
      new Writer().string(path).bool(false).bytes(),
      path,
    );
    return reply.buffer() ?? new Uint8Array();
  }

  /** The children of `path`, sorted. */
  async getChildren(path: string): Promise<string[]> {
    const reply = await this.#call(
      Op.getChildren,
      new Writer().string(path).bool(false).bytes(),
      path,
    );
    const count = reply.int();
    const children: string[] = [];
    for (let i = 0; i < count; i++) children.push(reply.string());
    return children.sort();
  }

  /** Deletes `path` (any version unless `version` is given). */
  async delete(path: string, version = -1): Promise<void> {
    await this.#call(Op.delete, new Writer().string(path).int(version).bytes(), path);
  }

  /**
   * Closes the session on the server (its ephemerals go), then the socket.
   * Idempotent.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      if (this.connected) {
        try {
          await Promise.race([this.#call(Op.closeSession), this.closed]);
        } catch {
          // The connection dropped first: the session will time out instead.
        }
      }
      this.#socket.destroy();
      await this.closed;
    })();
  }

  /** Drops the TCP connection without closing the session (it lives until it times out). */
  async disconnect(): Promise<void> {
    this.#socket.destroy();
    await this.closed;
  }

  /** Same as {@linkcode RawSession.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function withLength(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setInt32(0, frame.length);
  out.set(frame, 4);
  return out;
}

/**
 * Closes a session on the server from a second connection: sends the
 * ConnectRequest carrying the session's id and password and the closeSession
 * request in a single write. ZooKeeper holds the second request until the
 * session is re-attached, and re-attaching already closed the owner's
 * connection, so the owner has no window to take the session back in between.
 *
 * Resolves `"closed"` when the server confirmed, `"expired"` when the session
 * was already gone; rejects with {@linkcode ConnectionLossError} when the
 * connection dropped first (try again).
 */
export async function closeSessionById(
  address: string | { host: string; port: number },
  sessionId: bigint,
  sessionPassword: Uint8Array,
  options: { signal?: AbortSignal; timeout?: number } = {},
): Promise<"closed" | "expired"> {
  const { host, port } = parseAddress(address);
  const limit = deadline(
    options.timeout ?? 10_000,
    `closing session at ${host}:${port}`,
    options.signal,
  );
  try {
    const { socket, closed } = await openSocket(host, port, limit.signal);
    const splitter = new FrameSplitter();
    const frames: Uint8Array[] = [];
    let outcome: "closed" | "expired" | undefined;
    socket.on("data", (chunk: Uint8Array) => {
      try {
        frames.push(...splitter.push(chunk));
      } catch {
        socket.destroy();
        return;
      }
      if (frames.length >= 1) {
        const connect = new Reader(frames[0]);
        connect.int();
        if (connect.int() <= 0) outcome = "expired";
      }
      if (outcome === undefined && frames.length >= 2) {
        const reply = new Reader(frames[1]);
        reply.int();
        reply.long();
        if (reply.int() === 0) outcome = "closed";
      }
      if (outcome !== undefined) socket.destroy();
    });
    socket.write(concat([
      connectRequest({ sessionTimeout: 10_000, sessionId, sessionPassword, readOnly: false }),
      requestFrame(1, Op.closeSession),
    ]));
    await closed;
    if (outcome !== undefined) return outcome;
    if (limit.signal.aborted) throw limit.signal.reason;
    throw new ConnectionLossError(
      `${host}:${port} closed the connection before closing session 0x${sessionId.toString(16)}`,
    );
  } finally {
    limit.clear();
  }
}

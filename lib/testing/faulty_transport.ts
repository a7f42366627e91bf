/**
 * Faults at the level of ZooKeeper frames, for tests that must hit one exact
 * moment: cut a connection after the N-th frame from the server (say, right
 * after the ConnectResponse), hold back one reply while later frames pass,
 * hand several frames to the client in one chunk, refuse new connections for
 * a while, or send the next connections to another server. It wraps the
 * client's {@linkcode Transport} (pass it as the `transport` option), so it
 * sees every frame in both directions and needs no root, no proxy process
 * and no timing luck. {@linkcode stallEventLoop} blocks the event loop of
 * the process under test, as a slow synchronous callback would.
 *
 * @module
 */

import { defaultTransport } from "../transport/mod.ts";
import { concat } from "../bytes.ts";
import type {
  Transport,
  TransportConnection,
  TransportConnectOptions,
} from "../transport/types.ts";

/** Which way a frame travels: `in` from the server, `out` to it. */
export type FrameDirection = "in" | "out";

/**
 * What a frame is: the handshake (`connect`), a watch `notification`, a
 * `ping`, an `auth` reply, the `setWatches` re-registration, a `reply` to a
 * request, or (outgoing) a `request`.
 */
export type FrameKind =
  | "connect"
  | "notification"
  | "ping"
  | "auth"
  | "setWatches"
  | "reply"
  | "request";

/** One whole frame seen by a {@linkcode FaultyTransport}. */
export interface FrameInfo {
  /** `in` (server to client) or `out`. */
  readonly direction: FrameDirection;
  /** 1 for the first connection this transport opened, then 2, ... */
  readonly connection: number;
  /** 1 for the first frame of this connection in this direction, then 2, ... */
  readonly index: number;
  /** What the frame is. */
  readonly kind: FrameKind;
  /** The xid of a request or reply (absent on the handshake). */
  readonly xid?: number;
  /** The request's opcode, also given on its reply. */
  readonly opCode?: number;
  /** The reply header's error code (incoming frames after the handshake). */
  readonly err?: number;
  /** The frame, length prefix included. */
  readonly bytes: Uint8Array;
}

/**
 * What to do with a frame: deliver it (`pass`), keep it back until
 * {@linkcode HeldFrames.release} (`hold`), lose it (`drop`), close the
 * connection without delivering it (`cut`), or deliver it and then close the
 * connection (`passThenCut`).
 */
export type FrameAction = "pass" | "hold" | "drop" | "cut" | "passThenCut";

/** A rule sees every frame; the first rule that returns an action decides. */
export type FrameRule = (frame: FrameInfo) => FrameAction | undefined;

/** Frames held back by {@linkcode FaultyTransport.hold}. */
export interface HeldFrames {
  /** The frames held so far. */
  readonly frames: readonly FrameInfo[];
  /** Resolves with the first frame held. */
  readonly first: Promise<FrameInfo>;
  /** Stops holding; delivers what was held, in order, if its connection is still open. */
  release(): void;
}

/** Options of {@linkcode FaultyTransport}. */
export interface FaultyTransportOptions {
  /** The transport underneath (default: the runtime's own). */
  base?: Transport;
}

/** Thrown by `connect` while the transport refuses connections. */
export class ConnectionRefusedByFault extends Error {
  /** The error's name. */
  override name = "ConnectionRefusedByFault";
}

const OP_SET_WATCHES = 101;
const OP_SET_WATCHES2 = 105;

/**
 * A {@linkcode Transport} with faults on demand, frame by frame.
 *
 * @example Cut the next connection right after its ConnectResponse, before the auth reply
 * ```ts
 * import { connect } from "@zk/client";
 * import { FaultyTransport } from "@zk/client/testing";
 * const faults = new FaultyTransport();
 * const zk = await connect("127.0.0.1:2181", { transport: faults });
 * faults.cutAfter(1, { direction: "in", connection: faults.connections + 1 });
 * faults.refuse(); // and every attempt after it
 * faults.cutAll();
 * ```
 */
export class FaultyTransport implements Transport {
  readonly #base: Transport;
  readonly #rules: FrameRule[] = [];
  readonly #open = new Set<FaultyConnection>();
  readonly #held: { frame: FrameInfo; conn: FaultyConnection }[] = [];
  #connections = 0;
  #refusing = false;
  #refuseTimer: ReturnType<typeof setTimeout> | undefined;
  #redirect: { host: string; port: number } | undefined;
  #coalesce = 0;

  /** Wraps `options.base`, or the runtime's transport. */
  constructor(options: FaultyTransportOptions = {}) {
    this.#base = options.base ?? defaultTransport();
  }

  /** How many connections have been opened so far. */
  get connections(): number {
    return this.#connections;
  }

  /** How many connections are open now. */
  get openConnections(): number {
    return this.#open.size;
  }

  /** Opens a connection through the faults (the client calls this). */
  async connect(
    host: string,
    port: number,
    options: TransportConnectOptions,
  ): Promise<TransportConnection> {
    if (this.#refusing) {
      throw new ConnectionRefusedByFault(`connection to ${host}:${port} refused (fault)`);
    }
    const target = this.#redirect ?? { host, port };
    const base = await this.#base.connect(target.host, target.port, options);
    if (this.#refusing) {
      base.close();
      throw new ConnectionRefusedByFault(`connection to ${host}:${port} refused (fault)`);
    }
    const conn = new FaultyConnection(base, ++this.#connections, this);
    this.#open.add(conn);
    return conn;
  }

  /** Resolves names like the transport underneath. */
  resolve(host: string): Promise<string[]> {
    return this.#base.resolve?.(host) ?? Promise.resolve([host]);
  }

  /** Adds a rule; returns a function that removes it. */
  addRule(rule: FrameRule): () => void {
    this.#rules.push(rule);
    return () => {
      const i = this.#rules.indexOf(rule);
      if (i >= 0) this.#rules.splice(i, 1);
    };
  }

  /**
   * Closes a connection after its `count`-th frame in `direction` (default
   * `in`) has been delivered: connection number `connection` (default: every
   * connection opened from now on, once each).
   */
  cutAfter(
    count: number,
    options: { direction?: FrameDirection; connection?: number } = {},
  ): () => void {
    const direction = options.direction ?? "in";
    const from = this.#connections + 1;
    return this.addRule((f) => {
      if (f.direction !== direction || f.index !== count) return undefined;
      if (
        options.connection !== undefined ? f.connection !== options.connection : f.connection < from
      ) {
        return undefined;
      }
      return "passThenCut";
    });
  }

  /**
   * Holds back the frames `match` selects while later ones pass, until
   * `release()`. Held replies are how a test makes a reply "lost": hold it,
   * then {@linkcode cutAll}.
   */
  hold(match: (frame: FrameInfo) => boolean): HeldFrames {
    const frames: FrameInfo[] = [];
    const first = Promise.withResolvers<FrameInfo>();
    const remove = this.addRule((f) => {
      if (!match(f)) return undefined;
      frames.push(f);
      if (frames.length === 1) first.resolve(f);
      return "hold";
    });
    return {
      frames,
      first: first.promise,
      release: () => {
        remove();
        const keep = new Set(frames);
        for (let i = 0; i < this.#held.length;) {
          const held = this.#held[i];
          if (keep.has(held.frame)) {
            this.#held.splice(i, 1);
            held.conn.deliver([held.frame.bytes]);
          } else i++;
        }
      },
    };
  }

  /**
   * Delivers the next `count` frames from the server to the client in one
   * chunk, as a busy socket would.
   */
  coalesce(count: number): void {
    this.#coalesce = count;
  }

  /**
   * Refuses new connections (at once, like a closed port), for `ms`
   * milliseconds or until {@linkcode accept}.
   */
  refuse(ms?: number): void {
    this.#refusing = true;
    if (this.#refuseTimer !== undefined) clearTimeout(this.#refuseTimer);
    this.#refuseTimer = ms === undefined ? undefined : setTimeout(() => this.accept(), ms);
  }

  /** Accepts new connections again. */
  accept(): void {
    this.#refusing = false;
    if (this.#refuseTimer !== undefined) clearTimeout(this.#refuseTimer);
    this.#refuseTimer = undefined;
  }

  /** Sends new connections to `target` instead of the address asked for (undefined: stop). */
  redirect(target: { host: string; port: number } | undefined): void {
    this.#redirect = target;
  }

  /** Closes every open connection now (held frames are lost). */
  cutAll(): void {
    for (const conn of [...this.#open]) conn.cut();
  }

  /** Stops every fault: rules, refusal, redirection; delivers nothing held. */
  reset(): void {
    this.#rules.length = 0;
    this.#held.length = 0;
    this.#coalesce = 0;
    this.#redirect = undefined;
    this.accept();
  }

  /** Clears the refusal timer and closes every connection. */
  [Symbol.dispose](): void {
    this.reset();
    this.cutAll();
  }

  /** @internal what a rule says about `frame`. */
  decide(frame: FrameInfo): FrameAction {
    for (const rule of [...this.#rules]) {
      const action = rule(frame);
      if (action !== undefined) return action;
    }
    return "pass";
  }

  /** @internal */
  keepHeld(frame: FrameInfo, conn: FaultyConnection): void {
    this.#held.push({ frame, conn });
  }

  /** @internal frames to gather into one chunk, taken once. */
  takeCoalesce(): number {
    const n = this.#coalesce;
    this.#coalesce = 0;
    return n;
  }

  /** @internal */
  forget(conn: FaultyConnection): void {
    this.#open.delete(conn);
    for (let i = this.#held.length - 1; i >= 0; i--) {
      if (this.#held[i].conn === conn) this.#held.splice(i, 1);
    }
  }
}

/** Splits bytes into whole frames (length prefix kept). */
class Framer {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    let buffer = chunk;
    if (this.#buffer.length > 0) {
      buffer = new Uint8Array(this.#buffer.length + chunk.length);
      buffer.set(this.#buffer);
      buffer.set(chunk, this.#buffer.length);
    }
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = new DataView(buffer.buffer, buffer.byteOffset + offset).getInt32(0);
      if (length < 0 || buffer.length - offset - 4 < length) break;
      frames.push(buffer.slice(offset, offset + 4 + length));
      offset += 4 + length;
    }
    this.#buffer = buffer.slice(offset);
    return frames;
  }
}

function int32(bytes: Uint8Array, at: number): number | undefined {
  if (bytes.length < at + 4) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset).getInt32(at);
}

/** One connection through a {@linkcode FaultyTransport}. */
class FaultyConnection implements TransportConnection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly #base: TransportConnection;
  readonly #owner: FaultyTransport;
  readonly #number: number;
  readonly #opCodes = new Map<number, number>();
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #inIndex = 0;
  #outIndex = 0;
  #closed = false;
  #gathering: Uint8Array[] = [];
  #gatherLeft = 0;

  constructor(base: TransportConnection, number: number, owner: FaultyTransport) {
    this.#base = base;
    this.#owner = owner;
    this.#number = number;
    const inFramer = new Framer();
    const source = base.readable.getReader();
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: async () => {
        // One read of the socket a pull, so the client sees the server's chunking.
        while (!this.#closed) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await source.read();
          } catch (error) {
            this.#end(error);
            return;
          }
          if (result.done) {
            this.#end();
            return;
          }
          const out = this.#incoming(inFramer.push(result.value));
          if (out.length > 0) {
            this.deliver(out);
            return;
          }
        }
      },
      cancel: () => {
        this.close();
        source.cancel().catch(() => {});
      },
    });
    const outFramer = new Framer();
    const sink = base.writable.getWriter();
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (this.#closed) throw new Error("connection closed (fault)");
        const out: Uint8Array[] = [];
        let cut = false;
        for (const bytes of outFramer.push(chunk)) {
          const frame = this.#describeOut(bytes);
          const action = this.#owner.decide(frame);
          if (action === "drop" || action === "hold") continue;
          if (action === "cut") {
            cut = true;
            break;
          }
          out.push(bytes);
          if (action === "passThenCut") {
            cut = true;
            break;
          }
        }
        if (out.length > 0) await sink.write(concat(out));
        if (cut) this.cut();
      },
      close: () => sink.close(),
      abort: (reason) => sink.abort(reason),
    });
  }

  get remoteAddress(): string {
    return this.#base.remoteAddress;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner.forget(this);
    this.#base.close();
  }

  /** Closes the connection as a network fault would: the client reads the end of the stream. */
  cut(): void {
    if (this.#closed) return;
    this.close();
    try {
      this.#controller.close();
    } catch {
      // already closed or errored
    }
  }

  /** Hands frames to the client as one chunk. */
  deliver(frames: Uint8Array[]): void {
    if (this.#closed || frames.length === 0) return;
    try {
      this.#controller.enqueue(concat(frames));
    } catch {
      // the client cancelled its reader
    }
  }

  #end(error?: unknown): void {
    if (this.#closed) return;
    this.close();
    try {
      if (error === undefined) this.#controller.close();
      else this.#controller.error(error);
    } catch {
      // already closed
    }
  }

  /** Applies the rules to frames from the server; returns those to deliver now. */
  #incoming(frames: Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const bytes of frames) {
      const frame = this.#describeIn(bytes);
      const action = this.#owner.decide(frame);
      if (action === "drop") continue;
      if (action === "hold") {
        this.#owner.keepHeld(frame, this);
        continue;
      }
      if (action === "cut") {
        this.deliver(out);
        this.cut();
        return [];
      }
      out.push(bytes);
      if (action === "passThenCut") {
        this.deliver(out);
        this.cut();
        return [];
      }
    }
    if (this.#gatherLeft === 0) {
      const n = this.#owner.takeCoalesce();
      if (n > 1) this.#gatherLeft = n;
    }
    if (this.#gatherLeft > 0) {
      this.#gathering.push(...out);
      this.#gatherLeft = Math.max(0, this.#gatherLeft - out.length);
      if (this.#gatherLeft > 0) return [];
      const gathered = this.#gathering;
      this.#gathering = [];
      return gathered;
    }
    return out;
  }

  #describeIn(bytes: Uint8Array): FrameInfo {
    const index = ++this.#inIndex;
    const base = { direction: "in" as const, connection: this.#number, index, bytes };
    if (index === 1) return { ...base, kind: "connect" };
    const xid = int32(bytes, 4) ?? 0;
    const err = int32(bytes, 16);
    const opCode = this.#opCodes.get(xid);
    if (opCode !== undefined && xid > 0) this.#opCodes.delete(xid);
    return { ...base, kind: kindOf(xid, opCode), xid, opCode, err };
  }

  #describeOut(bytes: Uint8Array): FrameInfo {
    const index = ++this.#outIndex;
    const base = { direction: "out" as const, connection: this.#number, index, bytes };
    if (index === 1) return { ...base, kind: "connect" };
    const xid = int32(bytes, 4) ?? 0;
    const opCode = int32(bytes, 8);
    if (opCode !== undefined && xid > 0) this.#opCodes.set(xid, opCode);
    const kind = xid > 0 ? "request" : kindOf(xid, opCode);
    return { ...base, kind, xid, opCode };
  }
}

function kindOf(xid: number, opCode: number | undefined): FrameKind {
  if (xid === -1) return "notification";
  if (xid === -2) return "ping";
  if (xid === -4) return "auth";
  if (xid === -8 || opCode === OP_SET_WATCHES || opCode === OP_SET_WATCHES2) return "setWatches";
  return "reply";
}

/**
 * Blocks the event loop for `ms` milliseconds, as a slow synchronous
 * callback would: no timer, no socket read and no promise continuation runs
 * meanwhile.
 *
 * @example
 * ```ts
 * import { stallEventLoop } from "@zk/client/testing";
 * stallEventLoop(500);
 * ```
 */
export function stallEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: that is the point
  }
}

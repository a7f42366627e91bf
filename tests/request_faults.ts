/**
 * A transport for tests that breaks one chosen request at the exact moment
 * the test needs: the reply is lost after the server applied it, or the
 * request never reaches the server. It can also hold the client's
 * reconnects, so that others act while the client is away.
 */
import { defaultTransport } from "../lib/transport/mod.ts";
import type {
  Transport,
  TransportConnection,
  TransportConnectOptions,
} from "../lib/transport/types.ts";

/** ZooKeeper opcodes the tests pick requests by. */
export const Op = { create: 1, delete: 2, setData: 5, multi: 14, create2: 15 } as const;

/** One request frame the client wrote: its header and what follows. */
export interface RequestFrame {
  readonly xid: number;
  readonly type: number;
  /** The bytes after the request header. */
  readonly body: Uint8Array;
}

/** The path a request starts with (create, delete, setData, getData, exists...). */
export function pathOf(body: Uint8Array, offset = 0): string {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const length = view.getInt32(offset);
  return new TextDecoder().decode(body.subarray(offset + 4, offset + 4 + length));
}

/** The path of a multi's first op (after its type, done flag and error code). */
export function firstMultiPath(body: Uint8Array): string {
  return pathOf(body, 9);
}

type Fault = {
  kind: "drop-reply" | "cut-before";
  match: (r: RequestFrame) => boolean;
  hit: () => void;
};

/** Splits a byte stream into length-prefixed frames (length included). */
class Frames {
  #buffer = new Uint8Array(0);
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const out: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 4) {
      const length = new DataView(joined.buffer, at).getInt32(0);
      if (joined.length - at < 4 + length) break;
      out.push(joined.slice(at, at + 4 + length));
      at += 4 + length;
    }
    this.#buffer = joined.slice(at);
    return out;
  }
}

/**
 * Pass it as the client's `transport`. `dropReplyTo(match)` lets the next
 * matching request reach the server and cuts the connection when its reply
 * comes back (the client never sees it); `cutBefore(match)` cuts the
 * connection instead of sending the matching request. `holdReconnects()`
 * makes new connections wait until `releaseReconnects()`.
 */
export class RequestFaults implements Transport {
  readonly #inner: Transport;
  #faults: Fault[] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  readonly #live = new Set<TransportConnection>();

  constructor(inner: Transport = defaultTransport()) {
    this.#inner = inner;
  }

  /** Resolves once a request matching `match` was applied and its reply dropped. */
  dropReplyTo(match: (r: RequestFrame) => boolean): Promise<void> {
    return new Promise((hit) => this.#faults.push({ kind: "drop-reply", match, hit }));
  }

  /** Resolves once the connection was cut instead of sending a request matching `match`. */
  cutBefore(match: (r: RequestFrame) => boolean): Promise<void> {
    return new Promise((hit) => this.#faults.push({ kind: "cut-before", match, hit }));
  }

  /** New connections wait until {@linkcode RequestFaults.releaseReconnects}. */
  holdReconnects(): void {
    this.#gate ??= new Promise((resolve) => this.#open = resolve);
  }

  /** Lets waiting and new connections through. */
  releaseReconnects(): void {
    this.#open?.();
    this.#gate = undefined;
    this.#open = undefined;
  }

  /** Cuts every open connection now. */
  cutAll(): void {
    for (const conn of this.#live) conn.close();
  }

  async resolve(host: string): Promise<string[]> {
    return this.#inner.resolve ? await this.#inner.resolve(host) : [host];
  }

  async connect(
    host: string,
    port: number,
    options: TransportConnectOptions,
  ): Promise<TransportConnection> {
    while (this.#gate) await this.#gate;
    const inner = await this.#inner.connect(host, port, options);
    return this.#wrap(inner);
  }

  #take(kind: Fault["kind"], request: RequestFrame): Fault | undefined {
    const index = this.#faults.findIndex((f) => f.kind === kind && f.match(request));
    return index < 0 ? undefined : this.#faults.splice(index, 1)[0];
  }

  #wrap(inner: TransportConnection): TransportConnection {
    const live = this.#live;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      live.delete(wrapped);
      inner.close();
    };
    const dropped = new Map<number, Fault>();
    const writer = inner.writable.getWriter();
    const outgoing = new Frames();
    let handshakeSent = false;
    const writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        for (const frame of outgoing.push(chunk)) {
          if (closed) throw new Error("connection cut by the test");
          if (!handshakeSent) {
            handshakeSent = true;
            await writer.write(frame);
            continue;
          }
          const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
          const request = {
            xid: view.getInt32(4),
            type: view.getInt32(8),
            body: frame.subarray(12),
          };
          const cut = this.#take("cut-before", request);
          if (cut) {
            close();
            cut.hit();
            throw new Error("connection cut by the test before a request");
          }
          const drop = this.#take("drop-reply", request);
          if (drop) dropped.set(request.xid, drop);
          await writer.write(frame);
        }
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
    const reader = inner.readable.getReader();
    const incoming = new Frames();
    let handshakeRead = false;
    const readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (true) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (error) {
            controller.error(error);
            return;
          }
          if (result.done || closed) {
            controller.close();
            return;
          }
          const pass: Uint8Array[] = [];
          for (const frame of incoming.push(result.value)) {
            if (!handshakeRead) {
              handshakeRead = true;
              pass.push(frame);
              continue;
            }
            const xid = new DataView(frame.buffer, frame.byteOffset, 8).getInt32(4);
            const drop = dropped.get(xid);
            if (drop) {
              // The server applied it; the client must never see the answer.
              close();
              for (const f of pass) controller.enqueue(f);
              controller.close();
              drop.hit();
              return;
            }
            pass.push(frame);
          }
          if (pass.length > 0) {
            for (const f of pass) controller.enqueue(f);
            return;
          }
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const wrapped: TransportConnection = {
      readable,
      writable,
      remoteAddress: inner.remoteAddress,
      close,
    };
    live.add(wrapped);
    return wrapped;
  }
}

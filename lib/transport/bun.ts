/**
 * The Bun transport: `Bun.connect` (plain or TLS) adapted to WHATWG streams.
 * Bun's socket API is callback based and its `write` may take only part of
 * a buffer, so the adapter keeps the rest until `drain`.
 *
 * @module
 */

import { ConfigurationError, ConnectionLossError } from "../errors.ts";
import type { Transport, TransportConnection, TransportConnectOptions } from "./types.ts";
import { connectError, formatAddress, lookupAll } from "./resolve.ts";

/** The part of Bun's socket this adapter uses. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  setNoDelay?(noDelay: boolean): void;
}

/** The part of `Bun.connect`'s options this adapter uses. */
interface BunConnectOptions {
  hostname: string;
  port: number;
  tls?: {
    ca?: string[];
    cert?: string;
    key?: string;
    serverName?: string;
    rejectUnauthorized?: boolean;
  };
  socket: {
    binaryType?: "uint8array";
    open(socket: BunSocket): void;
    data(socket: BunSocket, data: Uint8Array): void;
    drain(socket: BunSocket): void;
    close(socket: BunSocket, error?: Error): void;
    error(socket: BunSocket, error: Error): void;
    connectError?(socket: BunSocket, error: Error): void;
    handshake?(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
  };
}

interface BunGlobal {
  connect(options: BunConnectOptions): Promise<BunSocket>;
}

function bunGlobal(): BunGlobal {
  const bun = (globalThis as unknown as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new ConfigurationError("the Bun transport needs the Bun runtime");
  return bun;
}

/**
 * Connections through Bun's sockets.
 *
 * @example
 * ```ts
 * import { connect } from "@zk/client";
 * import { bunTransport } from "./bun.ts";
 * const zk = await connect("127.0.0.1:2181", { transport: bunTransport });
 * ```
 */
export const bunTransport: Transport = {
  async connect(
    host: string,
    port: number,
    options: TransportConnectOptions,
  ): Promise<TransportConnection> {
    const signal = options.signal;
    signal?.throwIfAborted();
    const tls = options.tls;
    const remoteAddress = formatAddress(host, port);

    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      cancel() {
        close();
      },
    }, { highWaterMark: 1 << 20, size: (chunk) => chunk.byteLength });

    let socket: BunSocket | undefined;
    let closed = false;
    let readableDone = false;
    let backlog: Uint8Array | undefined;
    let drained: (() => void) | undefined;
    let failed: ((error: Error) => void) | undefined;
    let opened!: () => void;
    let openFailed!: (error: Error) => void;
    const openPromise = new Promise<void>((resolve, reject) => {
      opened = resolve;
      openFailed = reject;
    });
    // When Bun.connect itself rejects, nobody awaits openPromise.
    openPromise.catch(() => {});

    const finish = (error?: Error) => {
      if (!readableDone) {
        readableDone = true;
        if (error) controller.error(error);
        else {
          try {
            controller.close();
          } catch { /* already closed */ }
        }
      }
      const fail = failed;
      failed = undefined;
      drained = undefined;
      fail?.(error ?? new ConnectionLossError(`connection to ${remoteAddress} closed`));
    };
    const close = () => {
      if (closed) return;
      closed = true;
      try {
        socket?.end();
      } catch { /* already gone */ }
      finish();
    };

    const onAbort = () => {
      openFailed(signal?.reason);
      close();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      socket = await bunGlobal().connect({
        hostname: host,
        port,
        ...(tls
          ? {
            tls: {
              ca: tls.caCerts,
              cert: tls.cert,
              key: tls.key,
              serverName: tls.hostname ?? host,
              rejectUnauthorized: tls.verify !== false,
            },
          }
          : {}),
        socket: {
          // Each chunk arrives in a fresh Uint8Array: enqueued as it is, no copy.
          binaryType: "uint8array",
          open(s) {
            // Known from here on, so a close() while connecting still ends it.
            socket = s;
            if (closed) {
              s.end();
              return;
            }
            s.setNoDelay?.(true);
            if (!tls) opened();
          },
          handshake(_s, success, authorizationError) {
            // Bun reports success = false for a certificate it could not
            // verify even with rejectUnauthorized: false, so verify: false
            // must not look at it.
            if (tls?.verify === false || (success && !authorizationError)) opened();
            else openFailed(authorizationError ?? new Error("TLS handshake failed"));
          },
          data(_s, data) {
            if (!readableDone) controller.enqueue(data);
          },
          drain(s) {
            const rest = backlog;
            if (!rest) return;
            const n = s.write(rest);
            if (n < rest.length) {
              backlog = rest.subarray(Math.max(n, 0));
              return;
            }
            backlog = undefined;
            const done = drained;
            drained = undefined;
            failed = undefined;
            done?.();
          },
          close(_s, error) {
            closed = true;
            openFailed(error ?? new Error("closed before it opened"));
            finish(error);
          },
          error(_s, error) {
            openFailed(error);
            finish(error);
          },
          connectError(_s, error) {
            openFailed(error);
          },
        },
      });
      await openPromise;
    } catch (error) {
      close();
      throw connectError(error, remoteAddress, tls !== undefined, signal);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    const s = socket;
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        if (closed) throw new ConnectionLossError(`connection to ${remoteAddress} closed`);
        const n = s.write(chunk);
        if (n >= chunk.length) return;
        backlog = chunk.subarray(Math.max(n, 0));
        return new Promise<void>((resolve, reject) => {
          drained = resolve;
          failed = reject;
        });
      },
      close() {
        close();
      },
      abort() {
        close();
      },
    });
    return { readable, writable, remoteAddress, close };
  },
  resolve: lookupAll,
};

/**
 * The Deno transport: `Deno.connect`, upgraded with `Deno.startTls` when TLS
 * is asked for (so the name verified can differ from the address dialled).
 *
 * @module
 */

import { ConfigurationError, ConnectionLossError } from "../errors.ts";
import type { Transport, TransportConnection, TransportConnectOptions } from "./types.ts";
import { lookupAll } from "./resolve.ts";

/**
 * Connections through Deno's sockets.
 *
 * @example
 * ```ts
 * import { connect, denoTransport } from "@zk/client";
 * const zk = await connect("127.0.0.1:2181", { transport: denoTransport });
 * ```
 */
export const denoTransport: Transport = {
  async connect(
    host: string,
    port: number,
    options: TransportConnectOptions,
  ): Promise<TransportConnection> {
    const signal = options.signal;
    signal?.throwIfAborted();
    const tls = options.tls;
    if (tls && tls.verify === false) {
      throw new ConfigurationError(
        "tls.verify = false is not supported on Deno (use caCerts to trust the server's CA)",
      );
    }
    const remoteAddress = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const clientCert = tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : undefined;
    const verifyName = tls?.hostname ?? host;
    if (tls && clientCert && verifyName !== host) {
      throw new ConfigurationError(
        "on Deno, tls.hostname must equal the host when a client certificate is used",
      );
    }
    let conn: Deno.Conn;
    try {
      if (tls && verifyName === host) {
        // connectTls verifies against the name it dials and can present a client certificate.
        const tlsConn = await withAbort(
          Deno.connectTls({ hostname: host, port, caCerts: tls.caCerts, ...clientCert }),
          signal,
          (c) => c.close(),
        );
        await withAbort(tlsConn.handshake(), signal, () => {}).catch((error) => {
          tlsConn.close();
          throw error;
        });
        conn = tlsConn;
      } else {
        conn = await withAbort(Deno.connect({ hostname: host, port }), signal, (c) => c.close());
        (conn as Deno.TcpConn).setNoDelay(true);
        if (tls) {
          // startTls verifies against another name than the one dialled.
          const tcp = conn as Deno.TcpConn;
          try {
            const tlsConn = await Deno.startTls(tcp, {
              hostname: verifyName,
              caCerts: tls.caCerts,
            });
            await withAbort(tlsConn.handshake(), signal, () => {}).catch((error) => {
              tlsConn.close();
              throw error;
            });
            conn = tlsConn;
          } catch (error) {
            try {
              tcp.close();
            } catch { /* already closed */ }
            throw error;
          }
        }
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ConnectionLossError(
        `cannot connect to ${remoteAddress}${tls ? " with TLS" : ""}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return wrap(conn, remoteAddress);
  },
  resolve: lookupAll,
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function wrap(conn: Deno.Conn, remoteAddress: string): TransportConnection {
  let closed = false;
  return {
    readable: conn.readable,
    writable: conn.writable,
    remoteAddress,
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* the streams already closed it */ }
    },
  };
}

/** Races `promise` with `signal`; a value arriving after the abort is disposed of. */
function withAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => void,
): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) {
          try {
            dispose(value);
          } catch { /* ignore */ }
        } else resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

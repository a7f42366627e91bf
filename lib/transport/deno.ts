/**
 * The Deno transport: `Deno.connect`, upgraded with `Deno.startTls` when TLS
 * is asked for (so the name verified can differ from the address dialled).
 *
 * @module
 */

import { abortable } from "../abort.ts";
import { ConfigurationError } from "../errors.ts";
import type { Transport, TransportConnection, TransportConnectOptions } from "./types.ts";
import { connectError, formatAddress, lookupAll } from "./resolve.ts";

/**
 * Connections through Deno's sockets.
 *
 * @example
 * ```ts
 * import { connect } from "@zk/client";
 * import { denoTransport } from "./deno.ts";
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
    const remoteAddress = formatAddress(host, port);
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
        await abortable(tlsConn.handshake(), signal).catch((error) => {
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
            await abortable(tlsConn.handshake(), signal).catch((error) => {
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
      throw connectError(error, remoteAddress, tls !== undefined, signal);
    }
    return wrap(conn, remoteAddress);
  },
  resolve: lookupAll,
};

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

/**
 * {@linkcode abortable}, and a value arriving after the abort is disposed of
 * (a connection nobody waits for any more is closed, not leaked).
 */
function withAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => void,
): Promise<T> {
  if (!signal) return promise;
  promise.then((value) => {
    if (!signal.aborted) return;
    try {
      dispose(value);
    } catch { /* already closed */ }
  }, () => {});
  return abortable(promise, signal);
}

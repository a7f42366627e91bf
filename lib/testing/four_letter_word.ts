/**
 * ZooKeeper's four-letter words (`ruok`, `srvr`, `stat`, `cons`, `dump`, ...)
 * over a plain or TLS socket.
 *
 * @module
 */

import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { concat, deadline } from "./util.ts";

/** TLS settings for {@linkcode fourLetterWord} against a secure client port. */
export interface FourLetterWordTls {
  /** PEM CA certificate(s) to trust. */
  ca?: string | string[];
  /** PEM client certificate, for servers that require one. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Name to verify the server certificate against; defaults to the host. */
  servername?: string;
  /** Verify the server certificate (default true). */
  verify?: boolean;
}

/** Options of {@linkcode fourLetterWord}. */
export interface FourLetterWordOptions {
  /** Aborts the exchange. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the whole answer (default 5000). */
  timeout?: number;
  /** Use TLS (for a `secureClientPort`). */
  tls?: boolean | FourLetterWordTls;
}

/**
 * Sends a four-letter word and returns the server's whole answer (the server
 * closes the connection after answering). Resolves only once the socket is
 * closed, so nothing is left open.
 *
 * @example
 * ```ts
 * import { fourLetterWord } from "@zk/client/testing";
 * const answer = await fourLetterWord("127.0.0.1", 2181, "ruok"); // "imok"
 * ```
 */
export function fourLetterWord(
  host: string,
  port: number,
  word: string,
  options: FourLetterWordOptions = {},
): Promise<string> {
  const timeout = options.timeout ?? 5000;
  const limit = deadline(timeout, `four-letter word ${word} to ${host}:${port}`, options.signal);
  return new Promise<string>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let failure: unknown;
    let socket: Socket;
    const tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
    try {
      if (tls) {
        socket = tlsConnect({
          host,
          port,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          servername: tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
          rejectUnauthorized: tls.verify ?? true,
        }, () => socket.write(word));
      } else {
        socket = netConnect({ host, port }, () => socket.write(word));
      }
    } catch (error) {
      // tls.connect throws at once on unusable PEM: no socket, no "close" to clear the timer.
      limit.clear();
      throw error;
    }
    const onAbort = () => {
      failure ??= limit.signal.reason;
      socket.destroy();
    };
    if (limit.signal.aborted) onAbort();
    else limit.signal.addEventListener("abort", onAbort, { once: true });
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", (error) => failure ??= error);
    socket.on("close", () => {
      limit.signal.removeEventListener("abort", onAbort);
      limit.clear();
      if (failure !== undefined) reject(failure);
      else resolve(new TextDecoder().decode(concat(chunks)));
    });
  });
}

/** A member's role as `srvr` reports it. */
export type ServerMode = "leader" | "follower" | "standalone" | "observer" | "read-only";

/**
 * The `Mode:` line of a `srvr`/`stat` answer, or `null` when the server says
 * it is not serving requests.
 */
export function parseMode(answer: string): ServerMode | null {
  const match = /^Mode: (\S+)/m.exec(answer);
  if (!match) return null;
  const mode = match[1];
  return mode === "leader" || mode === "follower" || mode === "standalone" ||
      mode === "observer" || mode === "read-only"
    ? mode
    : null;
}

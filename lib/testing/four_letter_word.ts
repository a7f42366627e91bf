/**
 * ZooKeeper's four-letter words (`ruok`, `srvr`, `stat`, `cons`, `dump`, ...)
 * over a plain or TLS socket.
 *
 * @module
 */

import { defaultTransport } from "../transport/mod.ts";
import type { TlsOptions } from "../transport/types.ts";
import { sendFourLetterWord } from "../session/four_letter.ts";
import { deadline } from "./util.ts";

/** Options of {@linkcode fourLetterWord}. */
export interface FourLetterWordOptions {
  /** Aborts the exchange. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the whole answer (default 5000). */
  timeout?: number;
  /** Use TLS (for a `secureClientPort`): `true`, or the client's TLS settings. */
  tls?: boolean | TlsOptions;
}

/**
 * Sends a four-letter word and returns the server's whole answer (the server
 * closes the connection after answering), over the runtime's transport: the
 * client's own four-letter-word code, with a deadline. Resolves only once
 * the socket is closed, so nothing is left open.
 *
 * @example
 * ```ts
 * import { fourLetterWord } from "@zk/client/testing";
 * const answer = await fourLetterWord("127.0.0.1", 2181, "ruok"); // "imok"
 * ```
 */
export async function fourLetterWord(
  host: string,
  port: number,
  word: string,
  options: FourLetterWordOptions = {},
): Promise<string> {
  const timeout = options.timeout ?? 5000;
  const limit = deadline(timeout, `four-letter word ${word} to ${host}:${port}`, options.signal);
  const tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
  try {
    return await sendFourLetterWord(defaultTransport(), host, port, word, {
      tls,
      signal: limit.signal,
    });
  } finally {
    limit.clear();
  }
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

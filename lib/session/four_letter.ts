/**
 * Four-letter words (`srvr`, `ruok`, `mntr`, ...) over the client's own
 * transport, so they go over TLS when the client does.
 *
 * @module
 */

import { ConnectionLossError } from "../errors.ts";
import type { TlsOptions, Transport } from "../transport/types.ts";

/**
 * Sends a four-letter word to `host:port` and returns the whole answer.
 *
 * @example
 * ```ts
 * import { defaultTransport, sendFourLetterWord } from "@zk/client";
 * console.log(await sendFourLetterWord(defaultTransport(), "127.0.0.1", 2181, "srvr"));
 * ```
 */
export async function sendFourLetterWord(
  transport: Transport,
  host: string,
  port: number,
  word: string,
  options: { tls?: TlsOptions; signal?: AbortSignal } = {},
): Promise<string> {
  if (!/^[a-z]{4}$/.test(word)) {
    throw new ConnectionLossError(`"${word}" is not a four-letter word`);
  }
  const conn = await transport.connect(host, port, options);
  const onAbort = () => conn.close();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // An abort that came as the connection opened fired no listener.
    options.signal?.throwIfAborted();
    const writer = conn.writable.getWriter();
    await writer.write(new TextEncoder().encode(word));
    writer.releaseLock();
    const chunks: Uint8Array[] = [];
    const reader = conn.readable.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      // A server closing right after its answer may reset the connection.
      if (chunks.length === 0) throw error;
    } finally {
      reader.releaseLock();
    }
    options.signal?.throwIfAborted();
    const decoder = new TextDecoder();
    return chunks.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    conn.close();
  }
}

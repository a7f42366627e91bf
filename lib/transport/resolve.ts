/**
 * What the runtime transports share: name resolution (every address a name
 * has, IPv4 and IPv6, through `node:dns`, present in Deno and Bun), the
 * `host:port` form of an address, and the error a failed connect becomes.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ConnectionLossError } from "../errors.ts";

/** All addresses of `host`; an IP literal resolves to itself. */
export async function lookupAll(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const records = await lookup(host, { all: true });
  const seen = new Set<string>();
  for (const r of records) seen.add(r.address);
  return [...seen];
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * What a failed connect attempt rejects with: the abort reason when `signal`
 * aborted it, else a {@linkcode ConnectionLossError} naming the address.
 */
export function connectError(
  error: unknown,
  remoteAddress: string,
  tls: boolean,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionLossError(
    `cannot connect to ${remoteAddress}${tls ? " with TLS" : ""}: ${message}`,
    { cause: error },
  );
}

/**
 * Name resolution shared by the runtime transports: every address a name has,
 * IPv4 and IPv6, through `node:dns` (present in Deno and Bun).
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** All addresses of `host`; an IP literal resolves to itself. */
export async function lookupAll(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const records = await lookup(host, { all: true });
  const seen = new Set<string>();
  for (const r of records) seen.add(r.address);
  return [...seen];
}

/**
 * Picks the transport of the runtime the client runs on.
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import { bunTransport } from "./bun.ts";
import { denoTransport } from "./deno.ts";
import type { Transport } from "./types.ts";

export type {
  TlsOptions,
  Transport,
  TransportConnection,
  TransportConnectOptions,
} from "./types.ts";
export { FrameState } from "./framing.ts";
export { bunTransport, denoTransport };

/**
 * The transport for the current runtime: Bun's sockets under Bun, Deno's
 * under Deno. Other runtimes pass their own through the `transport` option.
 *
 * @example
 * ```ts
 * import { defaultTransport } from "@zk/client";
 * const conn = await defaultTransport().connect("127.0.0.1", 2181, {});
 * ```
 */
export function defaultTransport(): Transport {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return bunTransport;
  if (g.Deno !== undefined) return denoTransport;
  throw new ConfigurationError(
    "no built-in transport for this runtime: pass one with the `transport` option",
  );
}

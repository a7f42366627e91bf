/**
 * Small helpers shared by the harness: deadlines that combine a caller's
 * signal with a timeout, and environment access that works under Deno and Bun.
 *
 * @module
 */

import process from "node:process";

/** A deadline: `signal` aborts when the caller's signal does or the time is up. */
export interface Deadline {
  /** Aborts with the caller's reason, or with a `TimeoutError` naming `what`. */
  readonly signal: AbortSignal;
  /** Stops the timer and unhooks the caller's signal; call it in `finally`. */
  clear(): void;
}

/**
 * Combines `signal` with a timer of `ms` milliseconds. Unlike
 * `AbortSignal.timeout` the timer is cleared on `clear()`, so no timer
 * outlives the operation (Deno's test sanitizers see every timer).
 */
export function deadline(ms: number, what: string, signal?: AbortSignal): Deadline {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal!.reason);
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`${what} timed out after ${ms} ms`, "TimeoutError"));
  }, ms);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** An environment variable, or `undefined` when unset or empty. */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Parses `"host:port"` (IPv6 in brackets) or passes `{host, port}` through. */
export function parseAddress(address: string | { host: string; port: number }): {
  host: string;
  port: number;
} {
  if (typeof address !== "string") return address;
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(address.trim());
  if (!match) throw new TypeError(`not a host:port address: ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

/** The last `lines` lines of `text`, for error messages that quote a log. */
export function tail(text: string, lines = 30): string {
  return text.split("\n").slice(-lines).join("\n");
}

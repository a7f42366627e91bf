/**
 * The CLI's input and output, through `node:` modules so that the same code
 * runs under Deno, Bun and a `bun build --compile` binary. Writes are
 * synchronous: a short-lived command exits right after its last line, and
 * nothing may be lost on the way.
 *
 * @module
 */

import { writeSync } from "node:fs";
import process from "node:process";

const encoder = new TextEncoder();

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      // A non-blocking pipe that is full: try again.
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
    }
  }
}

/**
 * Writes text (as UTF-8) or bytes to standard output.
 *
 * @example
 * ```ts
 * import { writeOut } from "./io.ts";
 * writeOut("hello\n");
 * ```
 */
export function writeOut(data: string | Uint8Array): void {
  writeAll(1, typeof data === "string" ? encoder.encode(data) : data);
}

/**
 * Writes a line of text to standard error.
 *
 * @example
 * ```ts
 * import { writeErr } from "./io.ts";
 * writeErr("NoNode: /a");
 * ```
 */
export function writeErr(line: string): void {
  writeAll(2, encoder.encode(line.endsWith("\n") ? line : line + "\n"));
}

/**
 * Whether file descriptor `fd` (0, 1 or 2) is a terminal.
 *
 * @example
 * ```ts
 * import { isTerminal } from "./io.ts";
 * if (isTerminal(1)) console.log("on a terminal");
 * ```
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  const stream = fd === 0 ? process.stdin : fd === 1 ? process.stdout : process.stderr;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/**
 * An environment variable, or `undefined` when unset or empty.
 *
 * @example
 * ```ts
 * import { env } from "./io.ts";
 * const hosts = env("ZK_HOSTS") ?? "127.0.0.1:2181";
 * ```
 */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * All of standard input, as bytes.
 *
 * @example
 * ```ts
 * import { readStdin } from "./io.ts";
 * const data = await readStdin();
 * ```
 */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  const total = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    total.set(chunk, offset);
    offset += chunk.length;
  }
  return total;
}

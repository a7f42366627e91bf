/**
 * The CLI's contact with its process: arguments, standard streams, files,
 * environment, signals and exit. Under Deno it uses Deno's own API: the
 * first `node:` import costs Deno some 35 ms of start-up (its Node layer
 * boots), a third of a `zk get`. Elsewhere (Bun, a `bun build --compile`
 * binary) it uses `node:process` and `node:fs`. Writes are synchronous: a
 * short-lived command exits right after its last line, and nothing may be
 * lost on the way.
 *
 * @module
 */

import { concat } from "../lib/bytes.ts";
import type NodeProcess from "node:process";
import type * as NodeFs from "node:fs";
import type * as NodeOs from "node:os";

interface NodeApi {
  process: typeof NodeProcess;
  fs: typeof NodeFs;
  os: typeof NodeOs;
}

const node: NodeApi | undefined = typeof Deno === "object" ? undefined : {
  process: (await import("node:process")).default,
  fs: await import("node:fs"),
  os: await import("node:os"),
};

const encoder = new TextEncoder();

function writeAll(fd: 1 | 2, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const rest = bytes.subarray(offset);
    if (!node) {
      offset += (fd === 1 ? Deno.stdout : Deno.stderr).writeSync(rest);
      continue;
    }
    try {
      offset += node.fs.writeSync(fd, rest);
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
  if (!node) return [Deno.stdin, Deno.stdout, Deno.stderr][fd].isTerminal();
  const stream = [node.process.stdin, node.process.stdout, node.process.stderr][fd];
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
  const value = node ? node.process.env[name] : Deno.env.get(name);
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The command-line arguments after the program (and script) name.
 *
 * @example
 * ```ts
 * import { programArgs } from "./io.ts";
 * const [command] = programArgs();
 * ```
 */
export function programArgs(): string[] {
  return node ? node.process.argv.slice(2) : [...Deno.args];
}

/**
 * Ends the process with `code`.
 *
 * @example
 * ```ts
 * import { exit } from "./io.ts";
 * if (Math.random() > 2) exit(1);
 * ```
 */
export function exit(code: number): never {
  if (node) node.process.exit(code);
  Deno.exit(code);
}

/**
 * Calls `handler` on SIGINT and SIGTERM until the returned function is called.
 *
 * @example
 * ```ts
 * import { onInterrupt } from "./io.ts";
 * const stop = onInterrupt((signal) => console.log(`got ${signal}`));
 * stop();
 * ```
 */
export function onInterrupt(handler: (signal: "SIGINT" | "SIGTERM") => void): () => void {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const listeners = signals.map((signal) => () => handler(signal));
  signals.forEach((signal, i) => {
    if (node) node.process.on(signal, listeners[i]);
    else Deno.addSignalListener(signal, listeners[i]);
  });
  return () =>
    signals.forEach((signal, i) => {
      if (node) node.process.off(signal, listeners[i]);
      else Deno.removeSignalListener(signal, listeners[i]);
    });
}

/**
 * The file at `path`, as bytes.
 *
 * @example
 * ```ts
 * import { readFileBytes } from "./io.ts";
 * const pem = new TextDecoder().decode(readFileBytes("/etc/hostname"));
 * ```
 */
export function readFileBytes(path: string): Uint8Array {
  return node ? new Uint8Array(node.fs.readFileSync(path)) : Deno.readFileSync(path);
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
  if (!node) return await new Response(Deno.stdin.readable).bytes();
  const chunks: Uint8Array[] = [];
  for await (const chunk of node.process.stdin) chunks.push(chunk as Uint8Array);
  return concat(chunks);
}

/**
 * This process's id.
 *
 * @example
 * ```ts
 * import { processId } from "./io.ts";
 * console.log(processId());
 * ```
 */
export function processId(): number {
  return node ? node.process.pid : Deno.pid;
}

/**
 * This machine's host name.
 *
 * @example
 * ```ts
 * import { hostName } from "./io.ts";
 * console.log(hostName());
 * ```
 */
export function hostName(): string {
  return node ? node.os.hostname() : Deno.hostname();
}

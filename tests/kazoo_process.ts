/**
 * A running tests/interop/*.py kazoo script for the recipe fault tests: its
 * JSON records as they come, lines to its stdin, and its end.
 */
import assert from "node:assert/strict";
import { pythonImportError } from "./helpers.ts";

/** The system python with Debian's python3-kazoo. */
export const PYTHON = "/usr/bin/python3";

/** Why kazoo cannot run here, or undefined when it can. */
export const kazooMissing: string | undefined = pythonImportError(PYTHON, "kazoo.client");

/** One JSON line a script printed. */
export type KazooRecord = { event: string } & Record<string, unknown>;

/**
 * A kazoo script run with the system python; `R` names the fields its
 * records carry.
 */
export class KazooProcess<R extends KazooRecord = KazooRecord> implements AsyncDisposable {
  readonly records: R[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #reading: Promise<void>;
  readonly #stderr: Promise<string>;
  #waiters: (() => void)[] = [];
  #ended = false;

  /** Starts `tests/interop/{script}` with `args`; `stdin` pipes lines to it. */
  constructor(script: string, args: (string | number)[], options: { stdin?: boolean } = {}) {
    const child = new Deno.Command(PYTHON, {
      args: [new URL(`./interop/${script}`, import.meta.url).pathname, ...args.map(String)],
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stdin = options.stdin ? child.stdin.getWriter() : undefined;
    this.#stderr = new Response(child.stderr).text();
    this.#reading = (async () => {
      let buffered = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.records.push(JSON.parse(line));
        }
        this.#wake();
      }
      this.#ended = true;
      this.#wake();
    })();
  }

  /** The process id (to pause or kill it from outside). */
  get pid(): number {
    return this.#child.pid;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The first record of `event`, once it arrives (fails if the script ends without it). */
  async record(event: string, timeout = 30_000): Promise<R> {
    const deadline = Date.now() + timeout;
    while (true) {
      const found = this.records.find((r) => r.event === event);
      if (found) return found;
      if (this.#ended) throw new Error(`kazoo ended without "${event}": ${await this.#stderr}`);
      if (Date.now() > deadline) throw new Error(`no "${event}" from kazoo in ${timeout} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, 100);
      });
      clearTimeout(timer);
    }
  }

  /** Writes a line to the script's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Waits for the script to exit, and fails with its stderr unless it succeeded. */
  async done(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
    const status = await this.#child.status;
    await this.#reading;
    const stderr = await this.#stderr;
    assert.ok(status.success, `kazoo script failed (${status.code}): ${stderr}`);
  }

  /** Kills the script if it still runs, and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#stdin?.close().catch(() => {});
    await this.#child.status;
    await this.#reading.catch(() => {});
    await this.#stderr.catch(() => "");
  }
}

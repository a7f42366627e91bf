/**
 * A running Curator program of tests/curator/java/ that prints JSON lines:
 * its records as they come, waits for the one a test expects (with a
 * deadline, and the program's stderr in the failure), and a stand-in that
 * lets the harness's `expireSession` expire the program's session.
 */
import { type JavaProcess, runJava } from "./java.ts";
import type { ExpirableClient } from "../../lib/testing/mod.ts";

/** One JSON line of a tool. */
export type ToolRecord = Record<string, unknown>;

export class CuratorTool implements AsyncDisposable {
  readonly records: ToolRecord[] = [];
  readonly #child: JavaProcess;
  readonly #reading: Promise<void>;
  readonly #noise: string[] = [];
  #cursor = 0;
  #wake: (() => void) | undefined;
  #ended = false;
  readonly #subscribers = new Set<(r: ToolRecord) => void>();

  private constructor(child: JavaProcess) {
    this.#child = child;
    this.#reading = (async () => {
      for await (const line of child.lines) {
        try {
          const record = JSON.parse(line);
          this.records.push(record);
          for (const subscriber of this.#subscribers) subscriber(record);
        } catch {
          this.#noise.push(line);
        }
        this.#wake?.();
      }
      this.#ended = true;
      this.#wake?.();
    })();
  }

  /** Starts `program` (a file name under tests/curator/java/) with `args`. */
  static async start(program: string, args: string[]): Promise<CuratorTool> {
    const source = new URL(`./java/${program}`, import.meta.url).pathname;
    return new CuratorTool(await runJava(source, args));
  }

  /**
   * The first record after the last one returned that satisfies `accept`;
   * throws after `timeout` ms or when the program ends without one.
   */
  async next(
    accept: (r: ToolRecord) => boolean,
    what: string,
    timeout = 90_000,
  ): Promise<ToolRecord> {
    const deadline = Date.now() + timeout;
    while (true) {
      while (this.#cursor < this.records.length) {
        const record = this.records[this.#cursor++];
        if (accept(record)) return record;
      }
      if (this.#ended || Date.now() > deadline) {
        const stderr = this.#ended ? await this.#child.stderr : "(still running)";
        throw new Error(
          `${what}: not seen (${this.#ended ? "the program ended" : `${timeout} ms passed`}); ` +
            `records: ${JSON.stringify(this.records.slice(-5))}; other output: ` +
            `${this.#noise.slice(-5).join(" | ")}; stderr: ${stderr.slice(-2000)}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, Math.max(0, Math.min(1_000, deadline - Date.now())));
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** Kills the program (SIGKILL: no clean Curator close, its session times out). */
  kill(): void {
    this.#child.kill();
  }

  /** Waits for the program to end by itself; its exit code. */
  async exitCode(): Promise<number> {
    return (await this.#child.status).code;
  }

  /**
   * An {@linkcode ExpirableClient} for the program's session, from a record
   * with `session` and `password` (hex), told of the program's state records.
   */
  expirable(record: ToolRecord): ExpirableClient {
    const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
    const subscribers = new Map<(state: string) => void, (r: ToolRecord) => void>();
    return {
      sessionId: BigInt(`0x${record.session}`),
      sessionPassword: hex(String(record.password)),
      // Curator reports LOST when its session expired.
      addListener: (listener) => {
        const subscriber = (r: ToolRecord) => {
          if (r.event === "state") listener(String(r.state));
        };
        subscribers.set(listener, subscriber);
        this.#subscribers.add(subscriber);
      },
      removeListener: (listener) => {
        const subscriber = subscribers.get(listener);
        if (subscriber) this.#subscribers.delete(subscriber);
        subscribers.delete(listener);
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#child[Symbol.asyncDispose]();
    await this.#reading;
  }
}

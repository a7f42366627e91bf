/**
 * The JSON-lines protocol of the interop programs (the Curator ones under
 * `java/` and the @zk/client worker): each stdout line is one JSON record
 * with an `event`. {@linkcode Records} collects them as they come and waits
 * for the ones a test expects, with deadlines, never sleeps.
 */

/** One record a program printed. */
export type InteropRecord = { event: string } & Record<string, unknown>;

/** A running program whose stdout is JSON lines. */
export interface LineSource extends AsyncDisposable {
  readonly lines: AsyncIterable<string>;
  readonly stderr: Promise<string>;
  readonly status: Promise<{ success: boolean; code: number }>;
  kill(signal?: Deno.Signal): void;
}

/** Collects a program's records and waits for them. */
export class Records implements AsyncDisposable {
  readonly all: InteropRecord[] = [];
  readonly name: string;
  readonly #source: LineSource;
  readonly #reading: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(name: string, source: LineSource) {
    this.name = name;
    this.#source = source;
    this.#reading = (async () => {
      try {
        for await (const line of source.lines) {
          if (!line.trim().startsWith("{")) continue;
          this.all.push(JSON.parse(line));
          this.#wake();
        }
      } finally {
        this.#ended = true;
        this.#wake();
      }
    })();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** The records of `event` so far. */
  of(event: string): InteropRecord[] {
    return this.all.filter((r) => r.event === event);
  }

  /**
   * Waits until there are at least `count` records of `event` and returns
   * the `count`th; throws with the program's stderr after `timeout` ms or if
   * it ends first.
   */
  async next(event: string, count = 1, timeout = 60_000): Promise<InteropRecord> {
    const deadline = Date.now() + timeout;
    while (true) {
      const found = this.of(event);
      if (found.length >= count) return found[count - 1];
      if (this.#ended || Date.now() > deadline) {
        const why = this.#ended ? "ended" : `waited ${timeout} ms`;
        throw new Error(`${this.name} ${why} before "${event}" #${count}: ${await this.#tail()}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      clearTimeout(timer);
    }
  }

  /** Waits for the program to exit successfully; throws with its stderr otherwise. */
  async done(timeout = 120_000): Promise<InteropRecord[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.#source.status,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), timeout)),
    ]);
    clearTimeout(timer);
    if (status === undefined) throw new Error(`${this.name} still runs after ${timeout} ms`);
    await this.#reading;
    if (!status.success) throw new Error(`${this.name} failed: ${await this.#tail()}`);
    return this.all;
  }

  /** Kills the program (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    this.#source.kill("SIGKILL");
    await this.#source.status;
    await this.#reading;
  }

  async #tail(): Promise<string> {
    this.#source.kill("SIGKILL");
    return (await this.#source.stderr).split("\n").slice(-15).join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#source[Symbol.asyncDispose]();
    await this.#reading;
  }
}

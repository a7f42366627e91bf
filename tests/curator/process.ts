/**
 * A child process whose stdout is read line by line as it comes, for the
 * interop tests' programs (Curator's Java tools, @zk/client workers).
 */

/** A running program whose stdout is read line by line. */
export interface LineProcess extends AsyncDisposable {
  /** The process id. */
  readonly pid: number;
  /**
   * The program's stdout, line by line (without the newline), ending when
   * it closes. One consumer: iterate it once.
   */
  readonly lines: AsyncIterable<string>;
  /** Everything the program wrote to stderr, once it has exited. */
  readonly stderr: Promise<string>;
  /** Resolves when the program has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGKILL: "the process died") if it still runs. */
  kill(signal?: Deno.Signal): void;
}

/**
 * Starts `executable` with `args` (stdin closed, stdout and stderr piped).
 * Aborting `signal` kills it. Disposing the result kills it if it still
 * runs and waits for it and its pipes.
 */
export function spawnLines(
  executable: string,
  args: readonly string[],
  signal?: AbortSignal,
): LineProcess {
  signal?.throwIfAborted();
  const child = new Deno.Command(executable, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new RunningProgram(child, signal);
}

class RunningProgram implements LineProcess {
  readonly pid: number;
  readonly lines: AsyncIterable<string>;
  readonly stderr: Promise<string>;
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #pumped: Promise<void>;
  readonly #queue: string[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  #exited = false;

  constructor(child: Deno.ChildProcess, signal?: AbortSignal) {
    this.#child = child;
    this.pid = child.pid;
    this.stderr = new Response(child.stderr).text();
    this.status = child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    // stdout is read as it comes, whether or not anyone iterates, so the
    // program never blocks on a full pipe and disposing never waits on a reader.
    this.#pumped = this.#pump(child.stdout);
    let consumed = false;
    this.lines = {
      [Symbol.asyncIterator]: () => {
        if (consumed) throw new Error("a program's lines can be iterated once");
        consumed = true;
        return this.#iterate();
      },
    };
    if (signal) {
      const onAbort = () => this.kill();
      signal.addEventListener("abort", onAbort, { once: true });
      this.status.finally(() => signal.removeEventListener("abort", onAbort));
    }
  }

  async #pump(stdout: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = "";
    const push = (line: string) => {
      this.#queue.push(line);
      this.#wake?.();
    };
    try {
      for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          push(buffer.slice(0, newline).replace(/\r$/, ""));
          buffer = buffer.slice(newline + 1);
        }
      }
      if (buffer) push(buffer);
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }

  async *#iterate(): AsyncGenerator<string> {
    while (true) {
      const line = this.#queue.shift();
      if (line !== undefined) {
        yield line;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = undefined;
      }
    }
  }

  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Exited meanwhile.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.status;
    await this.#pumped;
    await this.stderr;
  }
}

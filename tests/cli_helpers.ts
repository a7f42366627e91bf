/**
 * Running the `zk` CLI as a subprocess (`deno run -A cli/main.ts`), the way
 * users run it, against a test's chrooted piece of a real server.
 */
import type { ClusterFixture } from "../lib/testing/mod.ts";

/** The CLI's entry point. */
export const CLI = new URL("../cli/main.ts", import.meta.url).pathname;

/** How a `zk` run ended. */
export interface ZkResult {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

/** Options of {@linkcode zk}. */
export interface ZkOptions {
  /** The connection string (as `ZK_HOSTS`). */
  hosts?: string;
  /** Standard input. */
  stdin?: string | Uint8Array;
  /** More environment variables. */
  env?: Record<string, string>;
  /** The program to run instead of `deno run -A cli/main.ts` (a compiled binary). */
  command?: string[];
}

function commandLine(args: readonly string[], options: ZkOptions): [string, string[]] {
  const [program, ...rest] = options.command ?? [Deno.execPath(), "run", "-A", CLI];
  return [program, [...rest, ...args]];
}

function environment(options: ZkOptions): Record<string, string> {
  return {
    NO_COLOR: "1",
    ZK_HISTORY: "/dev/null",
    ...(options.hosts ? { ZK_HOSTS: options.hosts } : {}),
    ...options.env,
  };
}

/** Runs `zk args...` to its end. */
export async function zk(args: readonly string[], options: ZkOptions = {}): Promise<ZkResult> {
  const [program, argv] = commandLine(args, options);
  const child = new Deno.Command(program, {
    args: argv,
    env: environment(options),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr), bytes: stdout };
}

/** A `zk` run in the background, its output read line by line. */
export class ZkProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  readonly #done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(args: readonly string[], options: ZkOptions = {}) {
    const [program, argv] = commandLine(args, options);
    this.child = new Deno.Command(program, {
      args: argv,
      env: environment(options),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#done = Promise.all([
      this.#read(this.child.stdout, this.lines),
      this.#read(this.child.stderr, this.errors),
    ]).then(() => {});
  }

  async #read(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        into.push(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        for (const wake of this.#waiters.splice(0)) wake();
      }
    }
    if (buffer !== "") into.push(buffer);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once a line of stdout or stderr satisfies `match`; throws after `timeout` ms. */
  async waitFor(
    match: (line: string) => boolean,
    timeout = 20_000,
  ): Promise<string> {
    const deadline = Date.now() + timeout;
    while (true) {
      const found = [...this.lines, ...this.errors].find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no matching line in time; stdout: ${JSON.stringify(this.lines)}, ` +
            `stderr: ${JSON.stringify(this.errors)}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 200));
      });
      clearTimeout(timer);
    }
  }

  /** Sends `signal`. */
  kill(signal: Deno.Signal = "SIGINT"): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code once it ended and its output was read. */
  async status(): Promise<number> {
    const { code } = await this.child.status;
    await this.#done;
    return code;
  }

  /** Ends it as a user would (SIGTERM: zk stops what it runs, then exits). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // It has ended.
    }
    await this.child.status;
    await this.#done;
  }
}

/** The test's chrooted connection string (the chroot node is created). */
export async function chrootedHosts(
  fixture: ClusterFixture,
  t: { name: string },
): Promise<string> {
  const client = await fixture.client(t);
  await client.close();
  const cluster = await fixture.cluster();
  return cluster.connectionString({ chroot: fixture.chroot(t) });
}

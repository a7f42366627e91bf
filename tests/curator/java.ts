/**
 * Runs Java programs that use Apache Curator 5.4, for the tests that put
 * Curator and @zk/client on the same znodes. A program is one `.java` file
 * under `tests/curator/java/`, started as a single-file source
 * (`java -cp CP Tool.java args`, no build step), with Debian's Curator,
 * ZooKeeper and dependency jars on the classpath.
 *
 * The jars come from `CURATOR_CLASSPATH` when set, else from Debian's
 * `/usr/share/java` (packages `libcurator-framework-java`,
 * `libcurator-recipes-java`, `libcurator-client-java`,
 * `libcurator-discovery-java`, with `default-jdk-headless` for `java`).
 * `.ci/run` installs them. A missing jar is an error naming the package to
 * install, never a skipped test.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";

const DEBIAN_DIR = "/usr/share/java";

/** The jars a Curator program needs, each with the Debian package that ships it. */
const JARS: readonly (readonly [jar: string, pkg: string])[] = [
  ["curator-framework.jar", "libcurator-framework-java"],
  ["curator-recipes.jar", "libcurator-recipes-java"],
  ["curator-client.jar", "libcurator-client-java"],
  ["curator-x-discovery.jar", "libcurator-discovery-java"],
  ["zookeeper.jar", "zookeeper"],
  ["zookeeper-jute.jar", "zookeeper"],
  ["guava.jar", "libguava-java"],
  ["slf4j-api.jar", "libslf4j-java"],
  // Curator and ZooKeeper log through SLF4J; the no-op binding keeps the
  // programs' stdout for their own records.
  ["slf4j-nop.jar", "libslf4j-java"],
  ["jackson-core.jar", "libjackson2-core-java"],
  ["jackson-databind.jar", "libjackson2-databind-java"],
  ["jackson-annotations.jar", "libjackson2-annotations-java"],
  ["netty-buffer.jar", "libnetty-java"],
  ["netty-codec.jar", "libnetty-java"],
  ["netty-common.jar", "libnetty-java"],
  ["netty-handler.jar", "libnetty-java"],
  ["netty-resolver.jar", "libnetty-java"],
  ["netty-transport.jar", "libnetty-java"],
  ["netty-transport-native-epoll.jar", "libnetty-java"],
  ["netty-transport-native-unix-common.jar", "libnetty-java"],
];

const INSTALL =
  "apt-get install -y default-jdk-headless libcurator-framework-java libcurator-recipes-java " +
  "libcurator-discovery-java libcurator-client-java (or set CURATOR_CLASSPATH)";

let cached: Promise<string> | undefined;

/**
 * The classpath of Curator 5.4, ZooKeeper and their dependencies:
 * `CURATOR_CLASSPATH` as given, else the Debian jars. Rejects with an error
 * that names the missing jars and how to install them.
 */
export function curatorClasspath(): Promise<string> {
  cached ??= (async () => {
    const given = Deno.env.get("CURATOR_CLASSPATH");
    if (given) return given;
    const missing = JARS.filter(([jar]) => !existsSync(join(DEBIAN_DIR, jar)));
    if (missing.length > 0) {
      const names = missing.map(([jar, pkg]) => `${jar} (${pkg})`).join(", ");
      throw new Error(`Curator tests need jars missing from ${DEBIAN_DIR}: ${names}. ${INSTALL}`);
    }
    return JARS.map(([jar]) => join(DEBIAN_DIR, jar)).join(":");
  })();
  return cached;
}

/** The `java` to run: `$JAVA_HOME/bin/java`, else `java` on the PATH. */
function javaExecutable(): string {
  const home = Deno.env.get("JAVA_HOME");
  return home ? join(home, "bin", "java") : "java";
}

/** Options of {@linkcode runJava}. */
export interface RunJavaOptions {
  /** Aborting kills the program (SIGKILL). */
  signal?: AbortSignal;
}

/** A running Java program (see {@linkcode runJava}). */
export interface JavaProcess extends AsyncDisposable {
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
 * Starts `program` (a path of a single-file `.java`, relative to
 * `tests/curator/java/` unless absolute) with the Curator classpath.
 * Disposing kills it if it still runs and waits for it and its pipes, so
 * no resource outlives the test.
 */
export async function runJava(
  program: string,
  args: readonly string[],
  options: RunJavaOptions = {},
): Promise<JavaProcess> {
  const classpath = await curatorClasspath();
  const source = program.startsWith("/")
    ? program
    : new URL(`./java/${program}`, import.meta.url).pathname;
  if (!existsSync(source)) throw new Error(`no Java program at ${source}`);
  options.signal?.throwIfAborted();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(javaExecutable(), {
      args: [
        // Small, short-lived programs on a shared machine: start fast.
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Xss512k",
        "-cp",
        classpath,
        source,
        ...args,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(`cannot run java (${javaExecutable()}): ${INSTALL}`, { cause: error });
  }
  return new RunningJava(child, options.signal);
}

class RunningJava implements JavaProcess {
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
        if (consumed) throw new Error("a Java program's lines can be iterated once");
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

/**
 * Runs small Java programs that use Apache Curator 5.4, for the mixed
 * Curator / @zk/client tests: the classpath of Debian's Curator, ZooKeeper
 * client and dependency jars, and a child process per single-file program
 * (`java -cp … Tool.java args…`, compiled in memory by the launcher).
 *
 * @module
 */

import { delimiter, join } from "node:path";
import { ConfigurationError } from "../../lib/errors.ts";

/** Where Debian's `libcurator-*-java`, `zookeeper` and their dependencies put their jars. */
const JAVA_DIR = Deno.env.get("CURATOR_JARS") ?? "/usr/share/java";

/**
 * The jars a Curator program needs. The manifests of Debian's jars name some
 * dependencies, not all: Netty's pieces for the ZooKeeper client socket and an
 * SLF4J binding that keeps the child's stdout free for its JSON lines.
 */
const JARS = [
  "curator-framework.jar",
  "curator-recipes.jar",
  "curator-client.jar",
  "curator-x-discovery.jar",
  "zookeeper.jar",
  "zookeeper-jute.jar",
  "guava.jar",
  "slf4j-api.jar",
  "slf4j-nop.jar",
  "jackson-core.jar",
  "jackson-databind.jar",
  "jackson-annotations.jar",
  "netty-handler.jar",
  "netty-common.jar",
  "netty-buffer.jar",
  "netty-transport.jar",
  "netty-codec.jar",
  "netty-resolver.jar",
  "netty-transport-native-unix-common.jar",
  "netty-transport-native-epoll.jar",
];

const INSTALL_HINT = "install Debian's libcurator-framework-java libcurator-recipes-java " +
  "libcurator-discovery-java libcurator-client-java zookeeper default-jdk-headless, " +
  "or set CURATOR_JARS to a folder holding those jars";

let classpath: Promise<string> | undefined;

/**
 * The Java classpath of Curator 5.4 (framework, recipes, client, x-discovery),
 * the ZooKeeper client and their dependencies.
 *
 * @throws {ConfigurationError} when a jar or the JDK's `java` is missing.
 */
export function curatorClasspath(): Promise<string> {
  return classpath ??= (async () => {
    const missing: string[] = [];
    for (const jar of JARS) {
      try {
        if (!(await Deno.stat(join(JAVA_DIR, jar))).isFile) missing.push(jar);
      } catch {
        missing.push(jar);
      }
    }
    if (missing.length > 0) {
      classpath = undefined;
      throw new ConfigurationError(
        `Curator's jars are missing from ${JAVA_DIR}: ${missing.join(", ")}; ${INSTALL_HINT}`,
      );
    }
    return JARS.map((jar) => join(JAVA_DIR, jar)).join(delimiter);
  })();
}

/** Why Curator programs cannot run here (no jars, no `java`), or `undefined` when they can. */
export async function curatorUnavailable(): Promise<string | undefined> {
  try {
    await curatorClasspath();
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const { success } = await new Deno.Command(javaExecutable(), {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? undefined : `${javaExecutable()} -version failed; ${INSTALL_HINT}`;
  } catch (error) {
    return `cannot run ${javaExecutable()} (${(error as Error).message}); ${INSTALL_HINT}`;
  }
}

function javaExecutable(): string {
  const home = Deno.env.get("JAVA_HOME");
  return home ? join(home, "bin", "java") : "java";
}

/** Options of {@linkcode runJava}. */
export interface RunJavaOptions {
  /** Aborting kills the child. */
  signal?: AbortSignal;
}

/** A running Java program: its stdout line by line, its end, and a way to stop it. */
export interface JavaProcess extends AsyncIterable<string>, AsyncDisposable {
  /** The child's process id. */
  readonly pid: number;
  /** The lines the child writes to stdout, as they come (one consumer). */
  readonly lines: AsyncIterableIterator<string>;
  /** How the child ended. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Everything the child wrote to stderr, once it has ended. */
  readonly stderr: Promise<string>;
  /** Sends `signal` (default SIGKILL: a crash, no clean Curator close). Idempotent. */
  kill(signal?: Deno.Signal): void;
}

/**
 * Starts `program` (a single-file `.java` source under `tests/curator/java/`,
 * or any path) with Curator's classpath, passing `args`.
 *
 * @example
 * ```ts
 * const child = await runJava("tests/curator/java/CountTool.java", ["127.0.0.1:2181", "/c"]);
 * for await (const line of child.lines) console.log(line);
 * console.log((await child.status).code);
 * ```
 */
export async function runJava(
  program: string,
  args: string[],
  options: RunJavaOptions = {},
): Promise<JavaProcess> {
  const cp = await curatorClasspath();
  const source = program.includes("/") ? program : new URL(`./java/${program}`, import.meta.url)
    .pathname;
  options.signal?.throwIfAborted();
  const child = new Deno.Command(javaExecutable(), {
    // A small heap and one compiler thread: the machine is shared.
    args: [
      "-Xmx128m",
      "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1",
      "-cp",
      cp,
      source,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const kill = (signal: Deno.Signal = "SIGKILL") => {
    if (killed) return;
    try {
      child.kill(signal);
      if (signal === "SIGKILL") killed = true;
    } catch {
      // Already ended.
      killed = true;
    }
  };
  const onAbort = () => kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const stderr = new Response(child.stderr).text();
  const status = child.status.finally(() => {
    killed = true;
    options.signal?.removeEventListener("abort", onAbort);
  });
  const lines = readLines(child.stdout);
  return {
    pid: child.pid,
    lines,
    status,
    stderr,
    kill,
    [Symbol.asyncIterator]: () => lines,
    async [Symbol.asyncDispose]() {
      kill();
      await status;
      await stderr;
      // Drain what is left so the stream's resource is closed.
      for await (const _ of lines) { /* discard */ }
    },
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

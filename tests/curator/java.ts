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
import { type LineProcess, spawnLines } from "./process.ts";

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

/**
 * The classpath of Curator 5.4, ZooKeeper and their dependencies:
 * `CURATOR_CLASSPATH` as given, else the Debian jars. Rejects with an error
 * that names the missing jars and how to install them.
 */
export function curatorClasspath(): Promise<string> {
  try {
    return Promise.resolve(findClasspath());
  } catch (error) {
    return Promise.reject(error);
  }
}

function findClasspath(): string {
  const given = Deno.env.get("CURATOR_CLASSPATH");
  if (given) return given;
  const missing = JARS.filter(([jar]) => !existsSync(join(DEBIAN_DIR, jar)));
  if (missing.length > 0) {
    const names = missing.map(([jar, pkg]) => `${jar} (${pkg})`).join(", ");
    throw new Error(`Curator tests need jars missing from ${DEBIAN_DIR}: ${names}. ${INSTALL}`);
  }
  return JARS.map(([jar]) => join(DEBIAN_DIR, jar)).join(":");
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
export type JavaProcess = LineProcess;

/**
 * Starts `program` (a path of a single-file `.java`, relative to
 * `tests/curator/java/` unless absolute) with the Curator classpath.
 * Disposing kills it if it still runs and waits for it and its pipes, so
 * no resource outlives the test. It returns at once (awaiting the result
 * is harmless); a missing JDK or jar throws an error saying what to install.
 */
export function runJava(
  program: string,
  args: readonly string[],
  options: RunJavaOptions = {},
): JavaProcess {
  const classpath = findClasspath();
  const source = program.startsWith("/")
    ? program
    : new URL(`./java/${program}`, import.meta.url).pathname;
  if (!existsSync(source)) throw new Error(`no Java program at ${source}`);
  options.signal?.throwIfAborted();
  try {
    return spawnLines(javaExecutable(), [
      // Small, short-lived programs on a shared machine: start fast.
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Xss512k",
      "-cp",
      classpath,
      source,
      ...args,
    ], options.signal);
  } catch (error) {
    throw new Error(`cannot run java (${javaExecutable()}): ${INSTALL}`, { cause: error });
  }
}

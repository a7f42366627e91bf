/**
 * Locates the ZooKeeper server jars and a `java` to run them with.
 *
 * @module
 */

import { readdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ConfigurationError } from "../errors.ts";
import { env } from "./util.ts";

/** Where ZooKeeper was found, as {@linkcode findZooKeeper} reports it. */
export interface ZooKeeperInstallation {
  /** The Java classpath that holds the server and its dependencies. */
  classpath: string;
  /** The `java` executable to run it with. */
  java: string;
  /** How it was found: `ZOOKEEPER_CLASSPATH`, `ZOOKEEPER_PATH=...` or `debian:/usr/share/java`. */
  source: string;
}

/** Where Debian and Ubuntu's `zookeeper` package puts the jars. */
const DEBIAN_DIR = "/usr/share/java";

/**
 * Jars the Debian layout needs beside `zookeeper.jar`, whose manifest names
 * only its direct dependencies: Netty's codec and resolver (the TLS port's
 * SslHandler and the transport need them) and an SLF4J binding so the server
 * logs to its member folder instead of nowhere.
 */
const DEBIAN_EXTRAS = [
  "netty-codec.jar",
  "netty-resolver.jar",
  "netty-transport-native-unix-common.jar",
  "slf4j-log4j12.jar",
  "log4j-1.2.jar",
];

const INSTALL_HINT = "Set ZOOKEEPER_CLASSPATH (a Java classpath holding the server) or " +
  "ZOOKEEPER_PATH (a folder with zookeeper-*.jar and lib/*.jar, as in Apache's release " +
  "tarball), or install the Debian/Ubuntu package: apt-get install -y zookeeper";

/**
 * Finds the ZooKeeper server jars and Java.
 *
 * In order: `ZOOKEEPER_CLASSPATH` (used as given); `ZOOKEEPER_PATH` (a folder
 * holding `zookeeper-*.jar` and `lib/*.jar`, or a Debian-style folder with
 * `zookeeper.jar`); the Debian layout in `/usr/share/java`. Java comes from
 * `JAVA_HOME`, else `PATH`.
 *
 * @throws {ConfigurationError} when no ZooKeeper or no Java is found; the
 * message names the variables and the install command.
 *
 * @example
 * ```ts
 * import { findZooKeeper } from "@zk/client/testing";
 * const { classpath, java } = findZooKeeper();
 * console.log(java, classpath.split(":").length, "jars");
 * ```
 */
export function findZooKeeper(): ZooKeeperInstallation {
  const { classpath, source } = findClasspath();
  return { classpath, java: findJava(), source };
}

function findClasspath(): { classpath: string; source: string } {
  const given = env("ZOOKEEPER_CLASSPATH");
  if (given !== undefined) return { classpath: given, source: "ZOOKEEPER_CLASSPATH" };

  const path = env("ZOOKEEPER_PATH");
  if (path !== undefined) {
    const classpath = folderClasspath(path) ?? debianClasspath(path);
    if (classpath === undefined) {
      throw new ConfigurationError(
        `ZOOKEEPER_PATH=${path} holds no zookeeper-*.jar (looked in it and in its lib/). ` +
          INSTALL_HINT,
      );
    }
    return { classpath, source: `ZOOKEEPER_PATH=${path}` };
  }

  const debian = debianClasspath(DEBIAN_DIR);
  if (debian !== undefined) return { classpath: debian, source: `debian:${DEBIAN_DIR}` };
  throw new ConfigurationError(`ZooKeeper not found. ${INSTALL_HINT}`);
}

/** Apache's tarball layout: `zookeeper-<version>.jar` in the folder or in `lib/`. */
function folderClasspath(folder: string): string | undefined {
  const jars = [...jarsIn(folder), ...jarsIn(join(folder, "lib"))];
  const hasServer = jars.some((jar) => /(^|\/)zookeeper-\d[^/]*\.jar$/.test(jar));
  return hasServer ? jars.join(delimiter) : undefined;
}

/** Debian's layout: `zookeeper.jar`, whose manifest pulls in the rest. */
function debianClasspath(folder: string): string | undefined {
  const main = join(folder, "zookeeper.jar");
  if (!isFile(main)) return undefined;
  const extras = DEBIAN_EXTRAS.map((jar) => join(folder, jar)).filter(isFile);
  return [main, ...extras].join(delimiter);
}

function jarsIn(folder: string): string[] {
  try {
    return readdirSync(folder).filter((name) => name.endsWith(".jar")).sort().map((name) =>
      join(folder, name)
    );
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findJava(): string {
  const home = env("JAVA_HOME");
  if (home !== undefined) {
    const java = join(home, "bin", "java");
    if (isFile(java)) return java;
    throw new ConfigurationError(`JAVA_HOME=${home} has no bin/java`);
  }
  for (const dir of (env("PATH") ?? "").split(delimiter)) {
    if (dir === "") continue;
    const java = join(dir, "java");
    if (isFile(java)) return java;
  }
  throw new ConfigurationError(
    "java not found: set JAVA_HOME or put java on PATH " +
      "(Debian/Ubuntu: apt-get install -y zookeeper brings a Java runtime with it)",
  );
}

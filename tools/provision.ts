/**
 * Makes sure the tests and the demo can start ZooKeeper: `deno run -A tools/provision.ts`
 * (run first by `deno task test` and `deno task demo`, so that either works first on a fresh
 * machine). If ZooKeeper is found it says where and exits 0. If not, and this is Debian or Ubuntu as root with apt-get, it installs the
 * `zookeeper` package; otherwise it prints what to do and exits 1.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { ConfigurationError } from "../lib/errors.ts";
import { findZooKeeper, type ZooKeeperInstallation } from "../lib/testing/find.ts";
import { env } from "../lib/testing/util.ts";

function report(found: ZooKeeperInstallation): void {
  console.log(`ZooKeeper: ${found.source}\nJava: ${found.java}`);
}

/** Only when nothing was configured: a wrong ZOOKEEPER_PATH is the user's to fix. */
function canInstall(): boolean {
  return !env("ZOOKEEPER_PATH") && !env("ZOOKEEPER_CLASSPATH") &&
    process.platform === "linux" && process.getuid?.() === 0 &&
    existsSync("/etc/debian_version") && existsSync("/usr/bin/apt-get");
}

function aptGet(...args: string[]): boolean {
  console.log(`$ apt-get ${args.join(" ")}`);
  const result = spawnSync("apt-get", args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return result.status === 0;
}

function main(): number {
  try {
    report(findZooKeeper());
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    if (!canInstall()) {
      console.error(error.message);
      return 1;
    }
    console.log(`${error.message}\nInstalling the zookeeper package...`);
  }
  // A fresh container has empty package lists: install fails until `update`.
  const installed = aptGet("install", "-y", "zookeeper") ||
    (aptGet("update") && aptGet("install", "-y", "zookeeper"));
  if (!installed) {
    console.error("apt-get could not install zookeeper");
    return 1;
  }
  try {
    report(findZooKeeper());
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
}

if (import.meta.main) process.exit(main());

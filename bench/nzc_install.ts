/**
 * node-zookeeper-client for the benches that run it under Node: installed
 * once with npm into a temporary folder kept between runs, shared by
 * `compare.ts` and `codec_bench_run.ts`. Plain `node:` APIs, so it runs
 * under Deno and Bun alike.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import process from "node:process";

/** The version every bench compares with. */
export const NZC_VERSION = "1.1.3";

/**
 * The `node_modules` folder holding node-zookeeper-client, installing it
 * first if needed; undefined when npm could not.
 */
export function nzcDirectory(): string | undefined {
  const dir = `${process.env.TMPDIR ?? "/tmp"}/zk-client-bench-nzc`;
  if (existsSync(`${dir}/node_modules/node-zookeeper-client/package.json`)) {
    return `${dir}/node_modules`;
  }
  mkdirSync(dir, { recursive: true });
  const npm = spawnSync(
    "npm",
    ["install", "--prefix", dir, "--no-audit", "--no-fund", `node-zookeeper-client@${NZC_VERSION}`],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return npm.status === 0 ? `${dir}/node_modules` : undefined;
}

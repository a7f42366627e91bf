/**
 * `deno task build:zk` (`bun build --compile`) makes `zk` a single binary (offline: Bun carries its
 * own runtime); the binary then reads a node from a real server. The build
 * goes to a temporary folder, removed afterwards.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { buildCli } from "../tools/build_cli.ts";
import { chrootedHosts, zk } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true });

function hasBun(): boolean {
  try {
    return new Deno.Command("bun", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "the bun-compiled binary runs get, lock and usage errors like deno run",
  ignore: !hasBun(),
  async fn(t) {
    const hosts = await chrootedHosts(fixture, t);
    const dir = await Deno.makeTempDir({ prefix: "zk-compile-" });
    try {
      const binary = `${dir}/zk`;
      await buildCli(binary);
      await zk(["create", "/config", "color=blue"], { hosts });
      const command = [binary];
      const got = await zk(["get", "/config"], { hosts, command });
      assert.deepEqual([got.code, got.stdout, got.stderr], [0, "color=blue", ""]);
      const missing = await zk(["get", "/nope"], { hosts, command });
      assert.deepEqual([missing.code, missing.stderr], [1, "NoNode: /nope\n"]);
      const usage = await zk(["frob"], { hosts, command });
      assert.equal(usage.code, 2);
      const locked = await zk(["lock", "/l", "--", "sh", "-c", "exit 4"], { hosts, command });
      assert.equal(locked.code, 4, locked.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

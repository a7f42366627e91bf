/**
 * `zk`'s contract with scripts: bad usage exits 2 with one clear line, a
 * ZooKeeper or connection error exits 1 with one line, no stack trace
 * ever, and `--help` shows examples for every command.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../cli/commands.ts";
import { VERSION } from "../cli/version.ts";
import { freePorts } from "../lib/testing/mod.ts";
import { zk } from "./cli_helpers.ts";

/** One line, no stack frames. */
function assertOneLine(stderr: string): void {
  assert.equal(stderr.split("\n").length, 2, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

Deno.test("an unknown command exits 2 and says so", async () => {
  const result = await zk(["frobnicate", "/a"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'usage: unknown command "frobnicate" (zk --help lists them)\n');
});

Deno.test("a bad path exits 2 naming the path and what is wrong with it", async () => {
  const result = await zk(["get", "/a//b"], { hosts: "127.0.0.1:1" });
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "InvalidPath: /a//b (empty segment)\n");
});

Deno.test("a missing argument exits 2 with the command's usage", async () => {
  const result = await zk(["get"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "usage: get: missing arguments (usage: zk get [-s] PATH)\n");
  const lock = await zk(["lock", "/locks/a"]);
  assert.equal(lock.code, 2);
  assert.match(lock.stderr, /^usage: lock: missing -- PROGRAM/);
});

Deno.test("an unknown option or a bad number exits 2", async () => {
  const unknown = await zk(["ls", "--frob", "/"]);
  assert.deepEqual([unknown.code, unknown.stderr], [2, "usage: ls: unknown option --frob\n"]);
  const number = await zk(["tree", "--depth", "deep", "/"]);
  assert.deepEqual([number.code, number.stderr], [
    2,
    'usage: tree: --depth takes a number, not "deep"\n',
  ]);
  const timeout = await zk(["--timeout", "-5", "get", "/a"]);
  assert.equal(timeout.code, 2);
  assertOneLine(timeout.stderr);
});

Deno.test("a bad connection string exits 2", async () => {
  const result = await zk(["--server", "host:notaport", "get", "/a"]);
  assert.equal(result.code, 2);
  assertOneLine(result.stderr);
});

Deno.test("an unreachable server fails within --timeout: exit 1, one line", async () => {
  // A port nothing listens on: the connection is refused at once, every time.
  const [port] = await freePorts(1);
  const started = Date.now();
  const result = await zk(["--server", `127.0.0.1:${port}`, "--timeout", "1500", "get", "/a"]);
  const elapsed = Date.now() - started;
  assert.equal(result.code, 1);
  assertOneLine(result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`^ConnectionLoss: no session with 127.0.0.1:${port} within 1500 ms`),
  );
  // Generous: the point is that --timeout bounds it, not a speed.
  assert.ok(elapsed < 1500 + 20_000, `took ${elapsed} ms`);
});

Deno.test("every command's --help shows its usage and examples, exit 0", async () => {
  const names = [...COMMANDS.keys()];
  // One process per command is slow: check the help text itself for all, the CLI for a few.
  const { commandHelp } = await import("../cli/help.ts");
  for (const name of names) {
    const help = commandHelp(COMMANDS.get(name)!);
    assert.match(help, new RegExp(`^usage: zk ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(help, /\nexamples:\n {2}zk \S/, name);
  }
  for (const name of ["get", "lock", "shell"]) {
    const result = await zk([name, "--help"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, commandHelp(COMMANDS.get(name)!));
  }
  const main = await zk(["--help"]);
  assert.equal(main.code, 0);
  for (const name of names) assert.match(main.stdout, new RegExp(`\\b${name}\\b`), name);
});

Deno.test("zk without a command and without a terminal exits 2", async () => {
  const result = await zk([]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "usage: missing COMMAND (zk --help lists them)\n");
});

Deno.test("the CLI's version is the package's", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  assert.equal(VERSION, config.version);
});

/**
 * `zk shell`: driven through standard input (one command a line, cd and
 * relative paths, the last command's status) and through a pseudo-terminal
 * (tests/cli_pty.py) for tab completion and Ctrl-C; and `--embedded`,
 * which starts a server of its own.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { pythonImportError } from "./helpers.ts";
import { chrootedHosts, CLI, zk } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true });
const PYTHON = "/usr/bin/python3";
const PTY = new URL("./cli_pty.py", import.meta.url).pathname;
const noPty = pythonImportError(PYTHON, "pty");

Deno.test("the shell runs commands from stdin on one session, with cd and relative paths", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const script = [
    "create -p /app/db/url postgres://db",
    "cd /app",
    "pwd",
    "ls",
    "cd db",
    "get url",
    "# a comment, then an ephemeral node that lives as long as the shell's session",
    "create -e ../session 'held by this shell'",
    "get ../session",
    "get nope",
    "ls ..",
  ].join("\n");
  const result = await zk(["shell"], { hosts, stdin: script });
  assert.equal(
    result.stdout,
    "/app/db/url\n/app\ndb\npostgres://db\n/app/session\nheld by this shell\ndb\nsession\n",
  );
  assert.equal(result.stderr, "NoNode: /app/db/nope\n");
  // The last command succeeded, and the ephemeral node went with the shell's session.
  assert.equal(result.code, 0);
  assert.equal((await zk(["stat", "/app/session"], { hosts })).code, 1);
});

Deno.test("the shell reports bad lines and goes on; exit ends it; status is the last command's", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const result = await zk(["shell"], {
    hosts,
    stdin: "frob\nls --frob\nget 'unclosed\ncd /nope//x\nstat /\nshell\nexit\nls /\n",
  });
  assert.equal(result.stderr.split("\n").length, 6, result.stderr);
  assert.match(result.stderr, /^usage: unknown command "frob"/);
  assert.match(result.stdout, /^cZxid = /);
  // `exit` ends the shell with 0: the `ls /` after it never runs.
  assert.equal(result.code, 0);
  assert.doesNotMatch(result.stdout, /zookeeper/);
  const failing = await zk(["shell"], { hosts, stdin: "ls /\nget /nope\n" });
  assert.equal(failing.code, 1);
});

Deno.test({
  name:
    "on a terminal: Tab completes commands and znode paths, Ctrl-C interrupts only the command, history is kept",
  ignore: noPty !== undefined,
  async fn(t) {
    const hosts = await chrootedHosts(fixture, t);
    await zk(["create", "-p", "/service/config"], { hosts });
    await zk(["create", "-p", "/service/cache"], { hosts });
    await zk(["create", "/other"], { hosts });
    const steps = [
      { expect: "zk /> " },
      // Typed in pieces, as a person types (cli_pty.py pauses after each).
      { send: "tr" },
      { send: "\t", expect: "tree" },
      { send: "/se" },
      { send: "\t", expect: "/service" },
      { send: "/c" },
      { send: "\t" },
      { send: "\t", expect: "/service/cache\\s+/service/config" },
      { send: "\x15watch /service\r", expect: "watching /service" },
      { send: "\x03", expect: "zk /> " },
      { send: "cd service\r", expect: "zk /service> " },
      { send: "ls\r", expect: "cache\\r?\\nconfig" },
      // Up-arrow recalls the last line.
      { send: "\x1b[A", expect: "zk /service> .*ls" },
      { send: "\x15\x04" },
    ];
    const history = await Deno.makeTempFile();
    try {
      // No command on a terminal opens the shell.
      const output = await new Deno.Command(PYTHON, {
        args: [PTY, JSON.stringify(steps), Deno.execPath(), "run", "-A", CLI],
        env: { ZK_HOSTS: hosts, ZK_HISTORY: history, NO_COLOR: "1" },
        stdout: "piped",
      }).output();
      const report = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.ok(
        report.ok,
        `step ${JSON.stringify(report.failed)} failed; output:\n${report.output}`,
      );
      assert.equal(report.status, 0, report.output);
      assert.equal(
        await Deno.readTextFile(history),
        "watch /service\ncd service\nls\n",
      );
    } finally {
      await Deno.remove(history);
    }
  },
});

Deno.test("--embedded starts a server for the run and stops it after", async () => {
  const result = await zk(["--embedded", "shell"], {
    stdin: "create /tried 'it works'\nget /tried\nruok\n",
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "/tried\nit works\nimok\n");
  const [, hosts] = /embedded ZooKeeper serving at (\S+)/.exec(result.stderr) ?? [];
  assert.ok(hosts, result.stderr);
  // Gone with the run.
  const after = await zk(["--server", hosts, "--timeout", "1000", "ruok"]);
  assert.equal(after.code, 1);
});

Deno.test("--embedded without ZooKeeper runs tools/provision.ts, then fails in one line", async () => {
  // A wrong ZOOKEEPER_PATH is the user's to fix: provision.ts reports it and installs nothing.
  const result = await zk(["--embedded", "ruok"], {
    env: { ZOOKEEPER_PATH: "/nonexistent/zookeeper" },
  });
  assert.equal(result.code, 1);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines[0], "ZooKeeper not found: running tools/provision.ts");
  assert.equal(
    lines.at(-1),
    "Embedded: --embedded needs Java and ZooKeeper: tools/provision.ts failed",
  );
});

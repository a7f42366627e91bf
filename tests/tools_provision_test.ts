/**
 * tools/provision.ts, which `deno task test` and `deno task demo` run first so
 * that either works first on a fresh machine.
 */
import assert from "node:assert/strict";

const TOOL = new URL("../tools/provision.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

async function provision(env: Record<string, string> = {}): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("provision reports the ZooKeeper it found and succeeds", async () => {
  const result = await provision();
  const out = new TextDecoder().decode(result.stdout);
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  assert.match(out, /^ZooKeeper: .+\nJava: .+/);
});

Deno.test("provision leaves a wrong ZOOKEEPER_PATH to the user: exit 1, no apt-get", async () => {
  const result = await provision({ ZOOKEEPER_PATH: "/nonexistent/zookeeper" });
  assert.equal(result.code, 1);
  const out = new TextDecoder().decode(result.stdout);
  assert.doesNotMatch(out, /apt-get/);
  assert.match(new TextDecoder().decode(result.stderr), /ZOOKEEPER_PATH=\/nonexistent\/zookeeper/);
});

Deno.test("deno task demo and deno task test both provision before they start ZooKeeper", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(CONFIG)).tasks as Record<string, string>;
  for (const name of ["demo", "test"]) {
    assert.match(tasks[name], /^deno run -A tools\/provision\.ts && /, name);
  }
});

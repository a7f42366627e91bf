/**
 * Nothing outlives the harness: a runner that is interrupted takes its
 * servers and folders with it, and one that was SIGKILLed has its leftovers
 * swept by the next harness run.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { eventually, processesMentioning } from "./testing_helpers.ts";

const CHILD = new URL("./testing_cleanup_child.ts", import.meta.url).pathname;

/** Starts the child script and resolves with the process and what it printed. */
async function startChild(runtime: string[]) {
  const process = new Deno.Command(runtime[0], {
    args: [...runtime.slice(1), CHILD],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  const line = text.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `the child printed ${JSON.stringify(text)}`);
  return { process, ...JSON.parse(line) as { dir: string; pid: number } };
}

function which(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

const runtimes: [string, string[]][] = [["Deno", [Deno.execPath(), "run", "-A"]]];
const bun = which("bun");
if (bun) runtimes.push(["Bun", [bun]]);

for (const [name, runtime] of runtimes) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.test(`under ${name}, ${signal} to the runner stops its servers and removes its folders`, async () => {
      const child = await startChild(runtime);
      assert.equal(processesMentioning(child.dir).length, 1);
      child.process.kill(signal);
      const status = await child.process.status;
      assert.equal(status.success, false);
      assert.deepEqual(processesMentioning(child.dir), []);
      assert.equal(existsSync(child.dir), false);
    });
  }
}

Deno.test("the leftovers of a SIGKILLed runner are swept by the next cluster start", async () => {
  const child = await startChild([Deno.execPath(), "run", "-A"]);
  child.process.kill("SIGKILL");
  await child.process.status;
  assert.deepEqual(processesMentioning(child.dir).length, 1, "the orphaned server still runs");
  assert.equal(existsSync(child.dir), true);
  await using _cluster = await ZooKeeperCluster.start({ freePorts: true });
  await eventually(() => processesMentioning(child.dir).length === 0, "the orphan to die");
  assert.equal(existsSync(child.dir), false);
});

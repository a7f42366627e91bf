/**
 * The runnable examples keep running: each one against a real server, as a
 * user would start it (`deno run -A examples/NAME.ts`).
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";

const fixture = clusterFixture({ freePorts: true });

async function run(example: string, hosts: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../examples/${example}`, import.meta.url).pathname],
    env: { ZK_HOSTS: hosts },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${example} failed:\n${out}\n${new TextDecoder().decode(stderr)}`);
  return out;
}

Deno.test("examples/lock.ts: every hold is alone in the critical section", async () => {
  const out = await run("lock.ts", (await fixture.cluster()).connectionString());
  assert.equal(out.match(/holds the lock \(inside: 1\)/g)?.length, 6);
  assert.doesNotMatch(out, /inside: [2-9]/);
});

Deno.test("examples/election.ts: a crashed leader is replaced", async () => {
  const out = await run("election.ts", (await fixture.cluster()).connectionString());
  assert.match(out, /failover: node-\d took over/);
});

Deno.test("examples/queue.ts: every job is done once, the urgent one first", async () => {
  const out = await run("queue.ts", (await fixture.cluster()).connectionString());
  assert.match(out, /did urgent\n/);
  assert.match(out, /all done, each once: job-1, job-2, job-3, job-4, urgent/);
});

Deno.test("examples/cache.ts: the cache follows the changes", async () => {
  const out = await run("cache.ts", (await fixture.cluster()).connectionString());
  assert.match(out, /web is at 10\.0\.0\.3:80/);
  assert.match(out, /services: db, web/);
});

Deno.test("examples/demo.ts: the tour runs to the end", async () => {
  const out = await run("demo.ts", (await fixture.cluster()).connectionString());
  assert.match(out, /done\s*$/);
});

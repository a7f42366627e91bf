/**
 * `zk lock`, `zk elect`, `zk counter` and `zk queue` against a real server,
 * with each other, with kazoo (Debian's python3-kazoo) and with @zk/client's
 * recipes on the same paths.
 *
 * The programs run under a lock record their [enter, exit] wall-clock
 * interval (ms) after holding for 100 ms; kazoo's holders record theirs
 * with Python's clock. Intervals of different holders must not overlap
 * (2 ms allowed for reading clocks in two processes).
 */
import assert from "node:assert/strict";
import { Counter } from "../recipes/counter.ts";
import { Queue } from "../recipes/queue.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { pythonImportError } from "./helpers.ts";
import { chrootedHosts, zk, ZkProcess } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true });
const PYTHON = "/usr/bin/python3";
const KAZOO_LOCKS = new URL("./interop/kazoo_locks.py", import.meta.url).pathname;
const SLACK = 2;
const kazooMissing = pythonImportError(PYTHON, "kazoo.client");

type Interval = [number, number];

/** A shell program that holds for 100 ms and appends "enter exit" (ms) to `file`. */
function recorder(file: string): string[] {
  return [
    "sh",
    "-c",
    `s=$(date +%s%N); sleep 0.1; e=$(date +%s%N); echo "$s $e" >> ${file}`,
  ];
}

function readIntervals(file: string): Interval[] {
  return Deno.readTextFileSync(file).trim().split("\n").map((line) => {
    const [s, e] = line.split(" ").map((n) => Number(BigInt(n) / 1000n) / 1000);
    return [s, e];
  });
}

function assertNoOverlap(intervals: Interval[]): void {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(
      sorted[i][0] >= sorted[i - 1][1] - SLACK,
      `overlap: ${JSON.stringify(sorted[i - 1])} and ${JSON.stringify(sorted[i])}`,
    );
  }
}

Deno.test("concurrent zk lock runs never overlap, and each passes on its program's exit", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const file = await Deno.makeTempFile();
  try {
    const runs = await Promise.all(
      Array.from(
        { length: 4 },
        () => zk(["lock", "/locks/job", "--", ...recorder(file)], { hosts }),
      ),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const intervals = readIntervals(file);
    assert.equal(intervals.length, 4);
    assertNoOverlap(intervals);
    assert.equal((await zk(["ls", "/locks/job"], { hosts })).stdout, "", "lock nodes left behind");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("zk lock passes on the exit code and reports a program that cannot start", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const seven = await zk(["lock", "/l", "--", "sh", "-c", "exit 7"], { hosts });
  assert.equal(seven.code, 7);
  const missing = await zk(["lock", "/l", "--", "/nonexistent/program"], { hosts });
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /cannot run \/nonexistent\/program/);
});

Deno.test({
  name: "zk lock and kazoo's Lock on the same path exclude each other",
  ignore: kazooMissing !== undefined,
  async fn(t) {
    const hosts = await chrootedHosts(fixture, t);
    const file = await Deno.makeTempFile();
    try {
      const kazoo = new Deno.Command(PYTHON, {
        args: [KAZOO_LOCKS, hosts, "lock", "/locks/shared", "kazoo", "4", "100"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const ours = Promise.all(
        Array.from(
          { length: 4 },
          () => zk(["lock", "/locks/shared", "--", ...recorder(file)], { hosts }),
        ),
      );
      const [kazooResult, runs] = await Promise.all([kazoo, ours]);
      assert.equal(kazooResult.code, 0, new TextDecoder().decode(kazooResult.stderr));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const kazooIntervals = new TextDecoder().decode(kazooResult.stdout).trim().split("\n")
        .map((line) => JSON.parse(line))
        .filter((r) => r.event === "held")
        .map((r): Interval => [r.enter, r.exit]);
      assert.equal(kazooIntervals.length, 4);
      const ourIntervals = readIntervals(file);
      assert.equal(ourIntervals.length, 4);
      assertNoOverlap([...kazooIntervals, ...ourIntervals]);
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test("a lost lock stops the program with SIGTERM, and SIGKILL after --grace", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const polite = "trap 'echo stopping; exit 42' TERM; echo ready; while :; do sleep 0.05; done";
  {
    await using run = new ZkProcess(["lock", "/l", "--", "sh", "-c", polite], { hosts });
    await run.waitFor((line) => line === "ready");
    const [node] = (await zk(["ls", "/l"], { hosts })).stdout.trim().split("\n");
    // Someone else deletes our lock node: ownership is gone.
    assert.equal((await zk(["rm", `/l/${node}`], { hosts })).code, 0);
    assert.equal(await run.status(), 42);
    assert.ok(run.lines.includes("stopping"));
    assert.ok(
      run.errors.some((l) => /^zk lock: lost the lock on \/l \(NoNode\)$/.test(l)),
      run.errors.join("\n"),
    );
  }
  const stubborn = "trap '' TERM; echo ready; while :; do sleep 0.05; done";
  {
    await using run = new ZkProcess(
      ["lock", "--grace", "300", "/l", "--", "sh", "-c", stubborn],
      { hosts },
    );
    await run.waitFor((line) => line === "ready");
    const [node] = (await zk(["ls", "/l"], { hosts })).stdout.trim().split("\n");
    await zk(["rm", `/l/${node}`], { hosts });
    assert.equal(await run.status(), 128 + 9);
  }
});

Deno.test("zk lock --wait gives up with LockTimeout while another holds the lock", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await using holder = new ZkProcess(
    ["lock", "/l", "--", "sh", "-c", "echo ready; exec sleep 30"],
    { hosts },
  );
  await holder.waitFor((line) => line === "ready");
  const result = await zk(["lock", "--wait", "300", "/l", "--", "true"], { hosts });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^LockTimeout: /);
});

Deno.test("zk elect runs one leader at a time and passes on its exit code", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const file = await Deno.makeTempFile();
  try {
    const runs = await Promise.all(
      Array.from(
        { length: 3 },
        (_, i) => zk(["elect", "--id", `w${i}`, "/election", "--", ...recorder(file)], { hosts }),
      ),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const intervals = readIntervals(file);
    assert.equal(intervals.length, 3);
    assertNoOverlap(intervals);
    const three = await zk(["elect", "/election", "--", "sh", "-c", "exit 3"], { hosts });
    assert.equal(three.code, 3);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test({
  name: "zk elect and kazoo's Election on the same path elect one leader at a time",
  ignore: kazooMissing !== undefined,
  async fn(t) {
    const hosts = await chrootedHosts(fixture, t);
    const file = await Deno.makeTempFile();
    try {
      const kazoo = new Deno.Command(PYTHON, {
        args: [KAZOO_LOCKS, hosts, "election", "/election", "kazoo", "3", "100"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const ours = Promise.all(
        Array.from(
          { length: 3 },
          (_, i) =>
            zk(["elect", "--id", `zk-${i}`, "/election", "--", ...recorder(file)], { hosts }),
        ),
      );
      const [kazooResult, runs] = await Promise.all([kazoo, ours]);
      assert.equal(kazooResult.code, 0, new TextDecoder().decode(kazooResult.stderr));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const kazooTerms = new TextDecoder().decode(kazooResult.stdout).trim().split("\n")
        .map((line) => JSON.parse(line))
        .filter((r) => r.event === "led")
        .map((r): Interval => [r.enter, r.exit]);
      assert.equal(kazooTerms.length, 3);
      const ourTerms = readIntervals(file);
      assert.equal(ourTerms.length, 3);
      assertNoOverlap([...kazooTerms, ...ourTerms]);
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test("a leader that loses its election node is stopped, and zk elect says why", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const polite = "trap 'exit 9' TERM; echo leading; while :; do sleep 0.05; done";
  await using run = new ZkProcess(["elect", "/e", "--", "sh", "-c", polite], { hosts });
  await run.waitFor((line) => line === "leading");
  const [node] = (await zk(["ls", "/e"], { hosts })).stdout.trim().split("\n");
  assert.equal((await zk(["rm", `/e/${node}`], { hosts })).code, 0);
  assert.equal(await run.status(), 9);
  assert.ok(
    run.errors.includes("zk elect: lost leadership of /e (NoNode)"),
    run.errors.join("\n"),
  );
});

Deno.test("zk counter and @zk/client's Counter share the value", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  assert.equal((await zk(["counter", "/c", "+5"], { hosts })).stdout, "5\n");
  assert.equal((await zk(["counter", "/c", "-2"], { hosts })).stdout, "3\n");
  await using client = await fixture.client(t);
  assert.equal(await new Counter(client, "/c").get(), 3);
  await new Counter(client, "/c").add(10);
  assert.deepEqual(JSON.parse((await zk(["counter", "--json", "/c"], { hosts })).stdout), {
    path: "/c",
    value: 13,
  });
  assert.equal((await zk(["counter", "/c", "5"], { hosts })).code, 2);
});

Deno.test("zk queue and @zk/client's Queue share entries, in order", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  assert.equal((await zk(["queue", "put", "/q", "a", "b"], { hosts })).code, 0);
  await using client = await fixture.client(t);
  const queue = new Queue(client, "/q");
  await queue.put("c");
  assert.equal((await zk(["queue", "len", "/q"], { hosts })).stdout, "3\n");
  assert.equal(new TextDecoder().decode((await queue.get())!), "a");
  assert.equal((await zk(["queue", "get", "/q"], { hosts })).stdout, "b\n");
  assert.deepEqual(JSON.parse((await zk(["queue", "get", "--json", "/q"], { hosts })).stdout), {
    path: "/q",
    data: "c",
    encoding: "utf8",
  });
  const empty = await zk(["queue", "get", "/q"], { hosts });
  assert.deepEqual([empty.code, empty.stdout], [0, ""]);
  const waiting = zk(["queue", "get", "--wait", "/q"], { hosts });
  await queue.put("late");
  assert.equal((await waiting).stdout, "late\n");
});

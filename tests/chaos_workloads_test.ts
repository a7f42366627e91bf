/**
 * The chaos suite's workload checkers (lock, queue, counter, ephemerals,
 * TreeCache) on planted records, the merge of register events from several
 * processes, and a short run of the workloads against a real ensemble with
 * `--hosts` (no nemesis): every checker reports, none finds an anomaly.
 */
import assert from "node:assert/strict";
import {
  attributeToServer,
  checkCounter,
  checkEphemerals,
  checkLock,
  checkQueue,
  checkServer,
  checkTreeCache,
  type MemberIntegrity,
  serverLossTime,
} from "../chaos/checkers.ts";
import type {
  CounterRecord,
  EphemeralRecord,
  LockRecord,
  OpRecord,
  QueueRecord,
  StateRecord,
  TreeEventRecord,
  TreeWriteRecord,
} from "../chaos/records.ts";
import { mergeRegisterHistory, runChaos } from "../chaos/runner.ts";
import { countAnomalies, parseChaosArgs } from "../chaos/run_command.ts";
import type { ChaosRun } from "../chaos/runner.ts";
import { parseHistory } from "../chaos/history.ts";
import { formatHistory } from "../chaos/history.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

function hold(process: number, acquired: number, released: number, lostAt: number | null = null) {
  return {
    t: "lock",
    process,
    acquired,
    released,
    lostAt,
    lostReason: lostAt === null ? null : "ConnectionLossError",
  } satisfies LockRecord;
}

Deno.test("lock: overlapping holds are an anomaly unless one's ownership signal had aborted", () => {
  assert.equal(checkLock([hold(1, 0, 100), hold(2, 100, 200)]).anomalies.length, 0);
  const overlap = checkLock([hold(1, 0, 100), hold(2, 50, 200)]);
  assert.equal(overlap.anomalies.length, 1);
  assert.match(overlap.anomalies[0].summary, /process 2 held the lock .* while process 1/);
  assert.equal(checkLock([hold(1, 0, 100, 40), hold(2, 50, 200)]).anomalies.length, 0);
  // A hold lost the moment it was acquired overlaps nothing; a later one still
  // overlaps the long hold.
  const long = checkLock([hold(1, 0, 500), hold(2, 10, 20, 10), hold(3, 300, 400)]);
  assert.equal(long.anomalies.length, 1);
  assert.match(long.anomalies[0].summary, /process 3 held the lock .* while process 1/);
});

function put(item: string, outcome: "ok" | "info" = "ok"): QueueRecord {
  return { t: "queue", f: "put", process: 1, item, outcome, start: 0, time: 1 };
}
function take(item: string | null, outcome: "ok" | "info" = "ok"): QueueRecord {
  return { t: "queue", f: "take", process: 2, item, outcome, start: 2, time: 3 };
}

Deno.test("queue: an item taken twice, never put, or lost beyond the uncertain takes is an anomaly", () => {
  assert.equal(checkQueue([put("a"), put("b"), take("a")], ["b"]).anomalies.length, 0);
  assert.equal(checkQueue([put("a", "info")], []).anomalies.length, 0, "an info put may vanish");
  const twice = checkQueue([put("a"), take("a"), take("a")], []);
  assert.match(twice.anomalies[0].summary, /item a was delivered 2 times/);
  const twiceLeft = checkQueue([put("a"), take("a")], ["a"]);
  assert.match(twiceLeft.anomalies[0].summary, /still queued at the end/);
  assert.match(checkQueue([take("z")], []).anomalies[0].summary, /taken but never put/);
  const lost = checkQueue([put("a"), put("b")], ["b"]);
  assert.match(lost.anomalies[0].summary, /1 acknowledged items were never delivered/);
  assert.equal(checkQueue([put("a"), put("b"), take(null, "info")], ["b"]).anomalies.length, 0);
});

Deno.test("server: a member's reported loss is a note, and marks later anomalies as possibly ZooKeeper's", () => {
  const report = (problem: "log-writer-died" | "digest-mismatch", first: number) => ({
    problem,
    count: 2,
    first,
    last: first + 1,
    line: "...",
  });
  const members: MemberIntegrity[] = [
    { member: 0, id: 1, reports: [] },
    { member: 1, id: 2, reports: [report("log-writer-died", 1), report("digest-mismatch", 2)] },
    { member: 2, id: 3, reports: [report("log-writer-died", 1)] },
  ];
  const server = checkServer(members);
  assert.equal(server.anomalies.length, 0, "the server's bug is not the client's anomaly");
  assert.deepEqual(server.stats, {
    "members checked": 3,
    "log writers died": 2,
    "members that lost data": 1,
  });
  assert.equal(server.notes?.length, 2);
  assert.match(server.notes![0], /^member 2 lost committed transactions .*ZOOKEEPER-4409/);
  assert.match(server.notes![1], /^member 3's log writer died .*no loss was reported/);
  assert.equal(serverLossTime(members), 2);
  assert.equal(serverLossTime(members.slice(2)), undefined, "a dead writer alone loses nothing");
  assert.equal(serverLossTime(undefined), undefined, "a run without a cluster (--hosts)");
  assert.deepEqual(checkServer(undefined).stats["members checked"], 0);

  // The twice-taken item of the chaos run: its second take came after the loss.
  const early = { t: "queue", f: "take", process: 2, item: "a", outcome: "ok", start: 0, time: 1 };
  const verdicts = [checkQueue([put("a"), early as QueueRecord, take("a")], [])];
  const marked = attributeToServer(verdicts, serverLossTime(members));
  assert.match(
    marked[0].anomalies[0].summary,
    /delivered 2 times \(2 takes\) \[after a member lost committed/,
  );
  const before = attributeToServer(verdicts, 5);
  assert.equal(before[0].anomalies[0].summary, verdicts[0].anomalies[0].summary);
});

Deno.test("chaos exit: anomalies after a member reported a loss are ZooKeeper's, the others the client's", () => {
  const anomaly = (time: number) => ({ summary: `at ${time}`, time, evidence: [] });
  const failing = (completeTime: number) => ({
    key: "r0",
    operations: [],
    path: [],
    explanation: "",
    failing: {
      index: 0,
      process: 1,
      f: "read" as const,
      key: "r0",
      input: null,
      output: 1,
      outcome: "ok" as const,
      invokeLine: 1,
      completeLine: 2,
      invokeTime: completeTime - 1,
      completeTime,
    },
  });
  const run = (serverLossAt: number | undefined, times: number[], registerTimes: number[]) =>
    ({
      registers: { anomalies: registerTimes.map(failing) },
      verdicts: [{ checker: "queue", anomalies: times.map(anomaly), stats: {} }],
      serverLossAt,
    }) as unknown as ChaosRun;
  assert.deepEqual(countAnomalies(run(100, [50, 150], [200])), { client: 1, server: 2 });
  assert.deepEqual(countAnomalies(run(100, [100], [])), { client: 0, server: 1 });
  assert.deepEqual(countAnomalies(run(undefined, [150], [200])), { client: 2, server: 0 });
  assert.deepEqual(countAnomalies(run(100, [], [])), { client: 0, server: 0 });
});

function add(delta: number, outcome: "ok" | "info"): CounterRecord {
  return { t: "counter", process: 1, delta, outcome, start: 0, time: 1 };
}

Deno.test("counter: the final value is the acknowledged sum plus a subset of the indeterminate adds", () => {
  const records = [add(3, "ok"), add(4, "ok"), add(5, "info"), add(2, "info")];
  for (const final of [7, 9, 12, 14]) {
    assert.equal(checkCounter(records, final).anomalies.length, 0, `final ${final}`);
  }
  for (const final of [6, 8, 10, 15]) {
    assert.equal(checkCounter(records, final).anomalies.length, 1, `final ${final}`);
  }
});

function state(
  worker: number,
  s: StateRecord["state"],
  session: string,
  time: number,
): StateRecord {
  return { t: "state", worker, state: s, session, address: null, time };
}
function created(worker: number, session: string, time: number): EphemeralRecord {
  return { t: "ephemeral", worker, session, name: `w${worker}-${session}`, time };
}

Deno.test("ephemerals: a node seen after its session was lost, or missing while it lived, is an anomaly", () => {
  const states = [
    state(0, "CONNECTED", "a", 0),
    state(0, "LOST", "a", 1000),
    state(0, "CONNECTED", "b", 1100),
    state(0, "CLOSING", "b", 5000),
  ];
  const nodes = [created(0, "a", 10), created(0, "b", 1200)];
  const fine = checkEphemerals(
    states,
    nodes,
    [
      { start: 500, end: 510, names: ["w0-a"] },
      { start: 2000, end: 2010, names: ["w0-a", "w0-b"] },
    ],
    [],
    4000,
  );
  assert.equal(fine.anomalies.length, 0, "seen 1 s after LOST: within a session timeout");
  assert.equal(fine.stats["seen after LOST within grace"], 1);
  const zombie = checkEphemerals(
    states,
    nodes,
    [
      { start: 2000, end: 2010, names: ["w0-a", "w0-b"] },
    ],
    [],
    500,
  );
  assert.match(zombie.anomalies[0].summary, /w0-a still existed .* after its owner reported/);
  const vanished = checkEphemerals(
    states,
    nodes,
    [{ start: 2000, end: 2010, names: [] }],
    [],
    4000,
  );
  assert.match(vanished.anomalies[0].summary, /w0-b was missing .* never lost/);
  const left = checkEphemerals(states, nodes, [], ["w0-b"], 4000);
  assert.match(left.anomalies[0].summary, /w0-b outlived its client's close/);
});

function write(f: "create" | "set" | "delete", path: string, data: string | null): TreeWriteRecord {
  return { t: "tree-write", process: 1, f, path, data, outcome: "ok", start: 0, time: 1 };
}
function event(type: string, path: string, data: string | null, mzxid: number): TreeEventRecord {
  return { t: "tree-event", type, path, data, mzxid: String(mzxid), time: 2 };
}

Deno.test("TreeCache: events must match real writes, zxids only grow, and the end state must match", () => {
  const writes = [
    write("create", "/t/a", "1"),
    write("set", "/t/a", "2"),
    write("delete", "/t/a", null),
  ];
  const events = [
    event("NODE_ADDED", "/t", "", 1),
    event("NODE_ADDED", "/t/a", "1", 5),
    event("NODE_UPDATED", "/t/a", "2", 6),
    event("NODE_REMOVED", "/t/a", "2", 6),
  ];
  const final = { t: "tree-final" as const, equal: true, differences: [], time: 3 };
  assert.equal(checkTreeCache("/t", writes, events, [final]).anomalies.length, 0);
  const invented = checkTreeCache("/t", writes, [event("NODE_UPDATED", "/t/a", "9", 7)], [final]);
  assert.match(invented.anomalies[0].summary, /data "9" that no write put there/);
  const back = checkTreeCache("/t", writes, [events[2], events[1]], [final]);
  assert.match(back.anomalies[0].summary, /went back in time/);
  const removed = checkTreeCache("/t", [], [event("NODE_REMOVED", "/t/b", "x", 3)], [final]);
  assert.match(removed.anomalies[0].summary, /nothing deleted it/);
  const drift = checkTreeCache("/t", writes, [], [{
    ...final,
    equal: false,
    differences: [{ path: "/t/a", cached: "1", fresh: null }],
  }]);
  assert.match(drift.anomalies[0].summary, /cache differs from the tree at 1 path/);
});

Deno.test("register events of several processes merge into one history that clock jitter cannot order", () => {
  const op = (process: number, type: OpRecord["type"], time: number, value: string | null) =>
    ({
      t: "op",
      process,
      type,
      f: value === null ? "read" : "write",
      key: "k",
      value,
      time,
    }) as OpRecord;
  // Process 2's read starts 1 ms "after" process 1's write ended, on another
  // process's clock: it must count as concurrent, so reading the old value is fine.
  const records = [
    op(1, "invoke", 0, "x"),
    op(1, "ok", 10, "x"),
    op(2, "invoke", 11, null),
    op(2, "ok", 20, null),
    op(1, "invoke", 10, "y"),
    op(1, "ok", 30, "y"),
  ];
  const history = mergeRegisterHistory(records);
  const operations = parseHistory(formatHistory(history));
  assert.equal(operations.length, 3);
  // Process 1's second invoke sorts after its own completion, though both are at 10.
  assert.deepEqual(history.map((e) => `${e.process}${e.type[0]}`), [
    "1i",
    "2i",
    "1o",
    "1i",
    "2o",
    "1o",
  ]);
});

Deno.test({
  name: "a short run against an existing ensemble records every workload and finds no anomaly",
  // Worker processes outlive single async ops; the run awaits them all.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await ZooKeeperCluster.start({ size: 3, freePorts: true });
    const outDir = await Deno.makeTempDir({ prefix: "chaos-test-" });
    try {
      const lines: string[] = [];
      const run = await runChaos({
        durationMs: 8_000,
        members: 3,
        hosts: cluster.connectionString(),
        seed: 7,
        workers: 2,
        keys: 3,
        registerThreads: 1,
        queueConsumers: 2,
        sessionTimeout: 4_000,
        maxConcurrentFaults: 1,
        outDir,
        log: (line) => lines.push(line),
      });
      assert.deepEqual(run.errors, []);
      assert.equal(run.faults.length, 0, "no nemesis against a user's ensemble");
      assert.equal(run.registers.valid, true);
      for (const verdict of run.verdicts) {
        assert.deepEqual(verdict.anomalies, [], verdict.checker);
      }
      const kinds = new Set(run.records.map((r) => r.t));
      for (const t of ["op", "lock", "queue", "counter", "state", "ephemeral", "tree-write"]) {
        assert.ok(kinds.has(t as never), `no ${t} records`);
      }
      assert.ok(run.records.some((r) => r.t === "tree-final" && r.equal));
      const history = await Deno.readTextFile(`${outDir}/history.jsonl`);
      assert.ok(parseHistory(history).length > 10);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});

Deno.test("chaos options: --smoke runs a minute of what passes today; bad options are refused", () => {
  const smoke = parseChaosArgs(["--smoke", "--seed", "5"]);
  assert.equal(smoke.durationMs, 60_000);
  assert.equal(smoke.queueConsumers, 1);
  assert.deepEqual(smoke.faultKinds, ["kill", "pause", "cut", "expire"]);
  assert.match(smoke.outDir, /seed5$/);
  assert.equal(smoke.lostGraceMs, 3 * smoke.sessionTimeout);
  const long = parseChaosArgs(["--minutes", "10", "--members", "5", "--faults", "kill,expire"]);
  assert.equal(long.durationMs, 600_000);
  assert.equal(long.members, 5);
  assert.deepEqual(long.faultKinds, ["kill", "expire"]);
  assert.equal(parseChaosArgs(["--hosts", "a:1,b:2"]).hosts, "a:1,b:2");
  assert.throws(() => parseChaosArgs(["--members", "4"]), /--members is 3 or 5/);
  assert.throws(() => parseChaosArgs(["--faults", "flood"]), /--faults takes some of/);
  assert.throws(() => parseChaosArgs(["--seconds"]), /--seconds needs a number/);
  assert.throws(() => parseChaosArgs(["--frobnicate"]), /unknown option --frobnicate/);
});

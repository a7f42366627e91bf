/**
 * The chaos suite's linearizability checker: it accepts histories known to
 * be linearizable (indeterminate ops included), rejects planted anomalies
 * with a small counterexample, agrees with a brute-force search on random
 * small histories, answers on 10,000 ops in seconds, and refuses bad input
 * with the line at fault (exit 2 from `deno task chaos check`).
 */
import assert from "node:assert/strict";
import {
  formatHistory,
  HistoryError,
  type HistoryEvent,
  type JsonValue,
  type Operation,
  parseHistory,
} from "../chaos/history.ts";
import { checkOperations, relevantOperations } from "../chaos/linearizability.ts";
import { generate, mulberry32 } from "./chaos_histories.ts";

type Outcome = "ok" | "fail" | "info";
type Step = [
  process: number,
  type: "invoke" | Outcome,
  f: "read" | "write" | "cas",
  value: JsonValue,
];

/** A history from compact steps on one key. */
function history(steps: Step[], key = "k"): Operation[] {
  const events: HistoryEvent[] = steps.map(([process, type, f, value]) => ({
    process,
    type,
    f,
    key,
    value,
  }));
  return parseHistory(formatHistory(events));
}

Deno.test("a sequential history of writes, reads and cas is linearizable", () => {
  const ops = history([
    [0, "invoke", "write", 1],
    [0, "ok", "write", 1],
    [1, "invoke", "read", null],
    [1, "ok", "read", 1],
    [2, "invoke", "cas", [1, 2]],
    [2, "ok", "cas", [1, 2]],
    [0, "invoke", "cas", [1, 3]],
    [0, "fail", "cas", [1, 3]],
    [1, "invoke", "read", null],
    [1, "ok", "read", 2],
  ]);
  assert.equal(checkOperations(ops).valid, true);
});

Deno.test("concurrent ops may take effect in either order", () => {
  const ops = history([
    [0, "invoke", "write", 1],
    [1, "invoke", "write", 2],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
    [1, "ok", "write", 2],
    [0, "ok", "write", 1],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ]);
  assert.equal(checkOperations(ops).valid, true);
});

Deno.test("an info write may take effect long after its invocation, or never", () => {
  const later = history([
    [0, "invoke", "write", 1],
    [0, "info", "write", 1],
    [1, "invoke", "read", null],
    [1, "ok", "read", null],
    [1, "invoke", "write", 2],
    [1, "ok", "write", 2],
    [1, "invoke", "read", null],
    [1, "ok", "read", 1],
  ]);
  assert.equal(checkOperations(later).valid, true);
  const never = history([
    [0, "invoke", "cas", [null, 1]],
    [0, "info", "cas", [null, 1]],
    [1, "invoke", "read", null],
    [1, "ok", "read", null],
  ]);
  assert.equal(checkOperations(never).valid, true);
  const unfinished = history([
    [0, "invoke", "write", 7],
    [1, "invoke", "read", null],
    [1, "ok", "read", 7],
  ]);
  assert.equal(checkOperations(unfinished).valid, true);
});

Deno.test("a stale read is not linearizable and the anomaly names the write and the read", () => {
  const ops = history([
    [0, "invoke", "write", 1],
    [0, "ok", "write", 1],
    [1, "invoke", "write", 2],
    [1, "ok", "write", 2],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ]);
  const result = checkOperations(ops);
  assert.equal(result.valid, false);
  const anomaly = result.anomalies[0];
  assert.deepEqual(anomaly.operations.map((op) => op.f), ["write", "write", "read"]);
  assert.equal(anomaly.failing.f, "read");
  assert.deepEqual(anomaly.failing.output, 1);
});

Deno.test("a lost write (acknowledged, then never seen although nothing overwrote it) is caught", () => {
  const ops = history([
    [0, "invoke", "write", 1],
    [0, "ok", "write", 1],
    [1, "invoke", "write", 2],
    [1, "ok", "write", 2],
    [2, "invoke", "read", null],
    [2, "ok", "read", 2],
    [0, "invoke", "read", null],
    [0, "ok", "read", 1],
  ]);
  const result = checkOperations(ops);
  assert.equal(result.valid, false);
  assert.equal(result.anomalies[0].failing.process, 0);
});

Deno.test("two cas from the same expected value both succeeding is caught", () => {
  const ops = history([
    [0, "invoke", "write", 0],
    [0, "ok", "write", 0],
    [1, "invoke", "cas", [0, 1]],
    [2, "invoke", "cas", [0, 2]],
    [1, "ok", "cas", [0, 1]],
    [2, "ok", "cas", [0, 2]],
  ]);
  const result = checkOperations(ops);
  assert.equal(result.valid, false);
  assert.deepEqual(result.anomalies[0].operations.map((op) => op.f), ["write", "cas", "cas"]);
});

Deno.test("info ops cannot explain a value read before it was written", () => {
  const ops = history([
    [0, "invoke", "read", null],
    [0, "ok", "read", 5],
    [1, "invoke", "write", 5],
    [1, "info", "write", 5],
    [2, "invoke", "cas", [5, 6]],
    [2, "info", "cas", [5, 6]],
  ]);
  const result = checkOperations(ops);
  assert.equal(result.valid, false);
  assert.deepEqual(result.anomalies[0].operations.map((op) => op.f), ["read"]);
});

Deno.test("an info cas that must have happened cannot happen twice", () => {
  const ops = history([
    [0, "invoke", "write", 0],
    [0, "ok", "write", 0],
    [1, "invoke", "cas", [0, 1]],
    [1, "info", "cas", [0, 1]],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
    [2, "invoke", "write", 0],
    [2, "ok", "write", 0],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ]);
  const result = checkOperations(ops);
  assert.equal(result.valid, false);
});

Deno.test("an anomaly on one key does not hide behind valid keys", () => {
  const ok = history([[0, "invoke", "write", 1], [0, "ok", "write", 1]], "a");
  const bad = history([[1, "invoke", "read", null], [1, "ok", "read", 3]], "b");
  const result = checkOperations([...ok, ...bad]);
  assert.equal(result.valid, false);
  assert.deepEqual(result.keys.map((k) => [k.key, k.valid]), [["a", true], ["b", false]]);
  assert.equal(result.anomalies[0].key, "b");
});

/** Brute force: tries every order of the relevant ops that respects real time. */
function bruteForce(ops: readonly Operation[]): boolean {
  const byKey = new Map<string, Operation[]>();
  for (const op of relevantOperationsAll(ops)) {
    byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  }
  for (const list of byKey.values()) {
    if (!bruteForceKey(list)) return false;
  }
  return true;
}

/** Like the checker's filter but keeping every non-failed write and cas (no pruning). */
function relevantOperationsAll(ops: readonly Operation[]): Operation[] {
  return ops.filter((op) => op.outcome === "ok" || (op.outcome === "info" && op.f !== "read"));
}

function bruteForceKey(ops: readonly Operation[]): boolean {
  const n = ops.length;
  const done = new Array<boolean>(n).fill(false);
  const mustDo = ops.map((op) => op.outcome === "ok");
  const visit = (state: string, placed: number): boolean => {
    if (ops.every((_, i) => done[i] || !mustDo[i])) return true;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      // i may go next only if no pending ok op finished before i was invoked.
      const blocked = ops.some((other, j) =>
        !done[j] && j !== i && mustDo[j] && other.completePosition < ops[i].invokePosition
      );
      if (blocked) continue;
      const op = ops[i];
      let next: string | undefined;
      if (op.f === "read") next = JSON.stringify(op.output) === state ? state : undefined;
      else if (op.f === "write") next = JSON.stringify(op.input);
      else {
        const [a, b] = op.input as JsonValue[];
        next = JSON.stringify(a) === state ? JSON.stringify(b) : undefined;
      }
      if (next === undefined) continue;
      done[i] = true;
      const found = visit(next, placed + 1);
      done[i] = false;
      if (found) return true;
    }
    return false;
  };
  return visit("null", 0);
}

Deno.test("the checker agrees with a brute-force search on 400 random small histories", () => {
  let invalid = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const random = mulberry32(seed * 7919);
    const { events } = generate(seed, {
      processes: 3,
      keys: 1,
      opsPerProcess: 3,
      values: 3,
      info: 0.3,
    });
    // Corrupt about half of them: a read or cas result changed at random.
    if (seed % 2 === 0) {
      const completions = events.filter((e) => e.type === "ok" && e.f === "read");
      if (completions.length > 0) {
        completions[Math.floor(random() * completions.length)].value = Math.floor(random() * 3);
      }
    }
    const ops = parseHistory(formatHistory(events));
    const expected = bruteForce(ops);
    const result = checkOperations(ops);
    assert.equal(result.valid, expected, `seed ${seed}:\n${formatHistory(events)}`);
    if (!expected) {
      invalid++;
      // The anomaly it reports is itself a non-linearizable history.
      assert.equal(bruteForce(result.anomalies[0].operations), false, `seed ${seed} anomaly`);
    }
  }
  assert.ok(invalid > 20, `only ${invalid} of the corrupted histories were invalid`);
});

Deno.test("pruning unobserved info ops keeps the verdict of the full search", () => {
  for (let seed = 1; seed <= 100; seed++) {
    const { events } = generate(seed, {
      processes: 3,
      keys: 1,
      opsPerProcess: 3,
      values: 4,
      info: 0.5,
    });
    const ops = parseHistory(formatHistory(events));
    assert.equal(bruteForce(relevantOperations(ops)), bruteForce(ops), `seed ${seed}`);
  }
});

/** Plants a stale read in the middle of `events` on key k0. */
function plantStaleRead(events: HistoryEvent[]): HistoryEvent[] {
  const k = "k0";
  const middle = Math.floor(events.length / 2);
  const op = (type: "invoke" | "ok", f: "read" | "write", value: JsonValue): HistoryEvent => ({
    process: 99,
    type,
    f,
    key: k,
    value,
  });
  return [
    ...events.slice(0, middle),
    op("invoke", "write", "stale"),
    op("ok", "write", "stale"),
    op("invoke", "write", "fresh"),
    op("ok", "write", "fresh"),
    op("invoke", "read", null),
    op("ok", "read", "stale"),
    ...events.slice(middle),
  ];
}

// Fresh values on every write (what the runner records) with 5% of writes
// and cas indeterminate, and a domain of 5 values with 1%: with few values
// and many indeterminate ops the search is exponential (as in Knossos),
// which is why the runner writes fresh values.
for (const { values, info } of [{ values: 0, info: 0.05 }, { values: 5, info: 0.01 }]) {
  const domain = values === 0 ? "fresh values" : `${values} values`;
  Deno.test(`a generated 10,000-op history over 5 keys (${domain}, ${info * 100}% info) is checked in seconds`, () => {
    const { events } = generate(42, {
      processes: 10,
      keys: 5,
      opsPerProcess: 1000,
      values,
      info,
    });
    const ops = parseHistory(formatHistory(events));
    assert.equal(ops.length, 10_000);
    const valid = checkOperations(ops);
    console.log(`10,000 linearizable ops: ${valid.elapsedMs.toFixed(0)} ms`);
    assert.equal(valid.valid, true);

    const invalid = checkOperations(parseHistory(formatHistory(plantStaleRead(events))));
    console.log(`10,003 ops with a planted stale read: ${invalid.elapsedMs.toFixed(0)} ms`);
    assert.equal(invalid.valid, false);
    assert.deepEqual(invalid.keys.map((key) => key.valid), [false, true, true, true, true]);
    const anomaly = invalid.anomalies[0];
    assert.deepEqual(
      anomaly.operations.map((op) => [op.process, op.f, op.f === "read" ? op.output : op.input]),
      [[99, "write", "stale"], [99, "write", "fresh"], [99, "read", "stale"]],
    );
  });
}

Deno.test("bad lines are refused with the line number and the reason", () => {
  const cases: [string, RegExp][] = [
    ["{nope", /line 1: not JSON/],
    ['{"process":0,"type":"invoke","f":"incr","value":1}', /line 1: "f" must be one of/],
    ['{"process":"a","type":"invoke","f":"read"}', /line 1: "process" must be an integer/],
    ['{"process":0,"type":"done","f":"read"}', /line 1: "type" must be one of/],
    ['{"process":0,"type":"invoke","f":"cas","value":1}', /cas value must be \[expected, new\]/],
    ['{"process":0,"type":"invoke","f":"write"}', /needs a "value"/],
    ['\n{"process":0,"type":"ok","f":"read","value":1}', /line 2: process 0 completes a read/],
    [
      '{"process":0,"type":"invoke","f":"read"}\n{"process":0,"type":"invoke","f":"read"}',
      /line 2: process 0 invokes read while its read from line 1 is still open/,
    ],
    [
      '{"process":0,"type":"invoke","f":"write","value":1}\n{"process":0,"type":"ok","f":"write","value":2}',
      /line 2: .* has value 2 but its invocation at line 1 had 1/,
    ],
    ["\n\n", /the history is empty/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseHistory(text), (e: unknown) => {
      assert.ok(e instanceof HistoryError, `${text}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

async function runCheck(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(file, text);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../chaos/main.ts", import.meta.url).pathname, "check", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("`chaos check` exits 0, 1 or 2 and prints the anomaly", async () => {
  const valid = await runCheck(
    '{"process":0,"type":"invoke","f":"write","key":"x","value":1}\n' +
      '{"process":0,"type":"ok","f":"write","key":"x","value":1}\n',
  );
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(valid.stdout, /^linearizable/);
  const invalid = await runCheck(
    '{"process":0,"type":"invoke","f":"write","key":"x","value":1}\n' +
      '{"process":0,"type":"ok","f":"write","key":"x","value":1}\n' +
      '{"process":1,"type":"invoke","f":"read","key":"x","value":null}\n' +
      '{"process":1,"type":"ok","f":"read","key":"x","value":null}\n',
  );
  assert.equal(invalid.code, 1, invalid.stderr);
  assert.match(invalid.stdout, /NOT linearizable/);
  assert.match(invalid.stdout, /process 1 {2}read -> null {2}ok {2}\(lines 3-4\)/);
  const bad = await runCheck('{"process":0,"type":"ok","f":"read","value":1}\n');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /line 1: process 0 completes a read \(ok\) it never invoked/);
});

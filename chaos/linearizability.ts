/**
 * A linearizability checker for read/write/cas registers: the Wing–Gong
 * search with Lowe's memoization, as Knossos (`wgl`) and Porcupine run it.
 *
 * - Keys are independent registers, so each key's sub-history is checked on
 *   its own (linearizability is compositional).
 * - `fail` ops did not happen and are dropped; `info` ops may have happened
 *   at any time after their invocation, or never: their completion is put
 *   after the end of the history.
 * - The search lifts a call and its return out of a doubly linked list of
 *   entries when it linearizes an op, and puts them back when it backtracks;
 *   a cache of (linearized set, register state) pairs cuts every ordering
 *   that reaches a configuration already explored.
 * - An anomaly is shrunk (delta debugging) to a small set of ops that no
 *   order explains.
 *
 * @module
 */

import type { JsonValue, Operation } from "./history.ts";

/** Options of {@linkcode checkOperations}. */
export interface CheckOptions {
  /** Give up (verdict `"unknown"`) after this many ms of search on one key. Default 60 000. */
  timeoutMs?: number;
  /** Time budget for shrinking each anomaly, in ms. Default 5 000. */
  shrinkMs?: number;
}

/** A history that is not linearizable, reduced to the operations that show it. */
export interface Anomaly {
  /** The register. */
  key: string;
  /** The operations that no order explains, sorted by invocation. */
  operations: Operation[];
  /** The op that could not be placed after the longest linearizable order found. */
  failing: Operation;
  /** That longest order, with the register's value after each op. */
  path: { operation: Operation; after: JsonValue }[];
  /** One paragraph for a person. */
  explanation: string;
}

/** The verdict on one key. */
export interface KeyVerdict {
  /** The register. */
  key: string;
  /** true, false, or "unknown" when the search ran out of time. */
  valid: boolean | "unknown";
  /** Operations on the key (all outcomes). */
  operations: number;
  /** The anomaly, when not valid. */
  anomaly?: Anomaly;
}

/** The verdict on a history. */
export interface CheckResult {
  /** false if any key is not linearizable; "unknown" if none is false but one timed out. */
  valid: boolean | "unknown";
  /** One verdict per key, in key order. */
  keys: KeyVerdict[];
  /** The anomalies found (one per invalid key). */
  anomalies: Anomaly[];
  /** Operations in the history. */
  operations: number;
  /** Time spent, in ms. */
  elapsedMs: number;
}

const READ = 0;
const WRITE = 1;
const CAS = 2;

type SearchOutcome =
  | { valid: true }
  | { valid: "unknown" }
  | { valid: false; failing: number; path: number[]; states: number[] };

/** The ops of one key in the compact form the search runs on. */
class KeyProblem {
  readonly ops: readonly Operation[];
  readonly kind: Int8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly values: JsonValue[] = [];
  readonly #interned = new Map<string, number>();
  readonly initial: number;

  constructor(ops: readonly Operation[]) {
    this.ops = ops;
    this.initial = this.intern(null);
    this.kind = new Int8Array(ops.length);
    this.a = new Int32Array(ops.length);
    this.b = new Int32Array(ops.length);
    ops.forEach((op, i) => {
      if (op.f === "read") {
        this.kind[i] = READ;
        this.a[i] = this.intern(op.output);
      } else if (op.f === "write") {
        this.kind[i] = WRITE;
        this.a[i] = this.intern(op.input);
      } else {
        const [expected, next] = op.input as JsonValue[];
        this.kind[i] = CAS;
        this.a[i] = this.intern(expected);
        this.b[i] = this.intern(next);
      }
    });
  }

  intern(value: JsonValue): number {
    const text = JSON.stringify(value);
    let id = this.#interned.get(text);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.#interned.set(text, id);
    }
    return id;
  }

  /** The state after op `i` from `state`, or -1 when the op cannot happen there. */
  step(state: number, i: number): number {
    switch (this.kind[i]) {
      case READ:
        return this.a[i] === state ? state : -1;
      case WRITE:
        return this.a[i];
      default:
        return this.a[i] === state ? this.b[i] : -1;
    }
  }
}

/** A small deterministic PRNG for the Zobrist hashes (reproducible runs). */
function xorshift32(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * The ops the search must place: ok ops, and info writes and cas whose new
 * value something observed. An info op whose value nobody read (and no cas
 * expected) can be left out: placing it only hides a value no op saw, so
 * every linearization with it is one without it, and "never" is allowed.
 * Info and failed reads change nothing and go too.
 */
export function relevantOperations(ops: readonly Operation[]): Operation[] {
  const observed = new Set<string>();
  for (const op of ops) {
    if (op.f === "read" && op.outcome === "ok") observed.add(JSON.stringify(op.output));
    if (op.f === "cas" && op.outcome !== "fail") {
      observed.add(JSON.stringify((op.input as JsonValue[])[0]));
    }
  }
  return ops.filter((op) => {
    if (op.outcome === "ok") return true;
    if (op.outcome === "fail" || op.f === "read") return false;
    const produced = op.f === "write" ? op.input : (op.input as JsonValue[])[1];
    return observed.has(JSON.stringify(produced));
  });
}

/** The Wing–Gong–Lowe search over one key's relevant ops. */
function search(problem: KeyProblem, deadline: number): SearchOutcome {
  const ops = problem.ops;
  const n = ops.length;
  if (n === 0) return { valid: true };
  // Entry 2i is op i's call, 2i+1 its return; HEAD is the sentinel.
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  const order: { entry: number; position: number }[] = [];
  ops.forEach((op, i) => {
    order.push({ entry: 2 * i, position: op.invokePosition });
    order.push({ entry: 2 * i + 1, position: op.completePosition });
  });
  // Positions are distinct except Infinity (info returns), which keep op order.
  order.sort((x, y) => x.position - y.position || x.entry - y.entry);
  let last = HEAD;
  for (const { entry } of order) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
  const isInfo = new Uint8Array(n);
  ops.forEach((op, i) => isInfo[i] = op.outcome === "ok" ? 0 : 1);

  const lift = (i: number) => {
    const call = 2 * i, ret = call + 1;
    next[prev[call]] = next[call];
    if (next[call] !== -1) prev[next[call]] = prev[call];
    next[prev[ret]] = next[ret];
    if (next[ret] !== -1) prev[next[ret]] = prev[ret];
  };
  const unlift = (i: number) => {
    const call = 2 * i, ret = call + 1;
    next[prev[ret]] = ret;
    if (next[ret] !== -1) prev[next[ret]] = ret;
    next[prev[call]] = call;
    if (next[call] !== -1) prev[next[call]] = call;
  };

  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const okMask = new Uint32Array(words);
  ops.forEach((op, i) => {
    if (op.outcome === "ok") okMask[i >>> 5] |= 1 << (i & 31);
  });
  // The hash covers the ok ops only: configurations that differ in which
  // info ops they used land in one bucket, where subsumption is checked.
  const random = xorshift32(0x9e3779b9 ^ n);
  const zobrist1 = new Uint32Array(n).map((_, i) => isInfo[i] ? 0 : random());
  const zobrist2 = new Uint32Array(n).map((_, i) => isInfo[i] ? 0 : random());
  let hash1 = 0, hash2 = 0;
  const cache = new Map<string, Uint32Array[]>();
  // A configuration is covered by a stored one with the same ok ops, the same
  // state and a subset of its info ops used: the stored one had every choice
  // this one has (an info op not used yet may still happen, or never).
  const seen = (key: string): boolean => {
    const bucket = cache.get(key);
    if (bucket === undefined) {
      cache.set(key, [bits.slice()]);
      return false;
    }
    for (const stored of bucket) {
      let covered = true;
      for (let w = 0; w < words; w++) {
        const s = stored[w], b = bits[w];
        if ((s & ~b) !== 0 || (b & ~s & okMask[w]) !== 0) {
          covered = false;
          break;
        }
      }
      if (covered) return true;
    }
    bucket.push(bits.slice());
    return false;
  };

  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  let depth = 0;
  let state = problem.initial;
  let best: { failing: number; path: number[]; states: number[] } | undefined = undefined;
  let bestDepth = -1;
  let steps = 0;
  let entry = next[HEAD];
  while (entry !== -1) {
    if (++steps % 8192 === 0 && performance.now() > deadline) return { valid: "unknown" };
    const i = entry >>> 1;
    if ((entry & 1) === 0) {
      const after = problem.step(state, i);
      if (after !== -1) {
        const word = i >>> 5, mask = 1 << (i & 31);
        bits[word] |= mask;
        const h1 = (hash1 ^ zobrist1[i]) >>> 0, h2 = (hash2 ^ zobrist2[i]) >>> 0;
        if (!seen(`${h1}:${h2}:${after}`)) {
          stackOp[depth] = i;
          stackState[depth] = state;
          depth++;
          hash1 = h1;
          hash2 = h2;
          state = after;
          lift(i);
          entry = next[HEAD];
          continue;
        }
        bits[word] &= ~mask;
      }
      entry = next[entry];
      continue;
    }
    // The first return met: if it is an info op's, every ok op is placed
    // and the info calls left over are the ones that never happened.
    if (isInfo[i]) return { valid: true };
    if (depth > bestDepth) {
      bestDepth = depth;
      const path = Array.from(stackOp.subarray(0, depth));
      const states: number[] = [];
      for (let d = 1; d < depth; d++) states.push(stackState[d]);
      states.push(state);
      best = { failing: i, path, states };
    }
    if (depth === 0) return { valid: false, ...best! };
    depth--;
    const undone = stackOp[depth];
    state = stackState[depth];
    bits[undone >>> 5] &= ~(1 << (undone & 31));
    hash1 = (hash1 ^ zobrist1[undone]) >>> 0;
    hash2 = (hash2 ^ zobrist2[undone]) >>> 0;
    unlift(undone);
    entry = next[2 * undone];
  }
  return { valid: true };
}

function checkKeyOps(ops: readonly Operation[], deadline: number): SearchOutcome {
  return search(new KeyProblem(ops), deadline);
}

function describeValue(value: JsonValue): string {
  return JSON.stringify(value);
}

/** One op as a line: process, f, value, lines, outcome. */
export function describeOperation(op: Operation): string {
  const what = op.f === "read"
    ? `read -> ${op.outcome === "ok" ? describeValue(op.output) : "?"}`
    : op.f === "write"
    ? `write ${describeValue(op.input)}`
    : `cas ${describeValue((op.input as JsonValue[])[0])} -> ${
      describeValue((op.input as JsonValue[])[1])
    }`;
  const lines = `lines ${op.invokeLine}-${op.completeLine ?? "end"}`;
  return `process ${op.process}  ${what}  ${op.outcome}  (${lines})`;
}

/** Keeps only ops invoked before `failing` completed; later completions become info. */
function prefixUpTo(ops: readonly Operation[], failing: Operation): Operation[] {
  const cut = failing.completePosition;
  const prefix: Operation[] = [];
  for (const op of ops) {
    if (op.invokePosition > cut || op.outcome === "fail") continue;
    if (op.outcome === "ok" && op.completePosition > cut && op !== failing) {
      if (op.f === "read") continue;
      prefix.push({ ...op, outcome: "info", completePosition: Infinity });
    } else {
      prefix.push(op);
    }
  }
  return prefix;
}

/**
 * Whether every value an ok op observes (a read's result, a cas's expected
 * value) is the initial null or written by an op invoked before the observer
 * returned. Shrinking keeps to grounded sets so that an anomaly is not a
 * value from nowhere, which would hide the real one (a stale read, a double
 * cas) behind a removed write.
 */
function grounded(ops: readonly Operation[]): boolean {
  const producers = new Map<string, Operation[]>();
  for (const op of ops) {
    if (op.f === "read") continue;
    const value = JSON.stringify(op.f === "write" ? op.input : (op.input as JsonValue[])[1]);
    let list = producers.get(value);
    if (list === undefined) producers.set(value, list = []);
    list.push(op);
  }
  return ops.every((op) => {
    if (op.outcome !== "ok" || op.f === "write") return true;
    const observed = op.f === "read" ? op.output : (op.input as JsonValue[])[0];
    if (observed === null) return true;
    return (producers.get(JSON.stringify(observed)) ?? []).some((producer) =>
      producer !== op && producer.invokePosition < op.completePosition
    );
  });
}

/**
 * Delta debugging: removes chunks of ops, then single ops until none can go,
 * keeping each removal after which the ops are still not linearizable.
 */
function shrink(ops: Operation[], budgetEnd: number): Operation[] {
  let current = ops;
  let chunk = Math.max(1, current.length >>> 1);
  for (;;) {
    let removed = false;
    for (let start = 0; start < current.length;) {
      if (performance.now() > budgetEnd) return current;
      const candidate = relevantOperations(
        current.slice(0, start).concat(current.slice(start + chunk)),
      );
      const outcome = grounded(candidate) ? checkKeyOps(candidate, budgetEnd) : { valid: true };
      if (outcome.valid === false) {
        current = candidate;
        removed = true;
      } else {
        start += chunk;
      }
    }
    if (chunk > 1) chunk >>>= 1;
    else if (!removed) return current;
  }
}

function explain(problem: KeyProblem, outcome: Extract<SearchOutcome, { valid: false }>): string {
  const failing = problem.ops[outcome.failing];
  const before = outcome.states.length > 0
    ? problem.values[outcome.states[outcome.states.length - 1]]
    : null;
  const steps = outcome.path.map((i, d) =>
    `${describeShort(problem.ops[i])} (process ${problem.ops[i].process}) -> ${
      describeValue(problem.values[outcome.states[d]])
    }`
  );
  const order = steps.length > 0
    ? `The longest order that explains the others is: ${steps.join("; ")}.`
    : `No op can take effect first: the register starts as null.`;
  return `${order} Then ${
    describeShort(failing)
  } by process ${failing.process} cannot take effect ` +
    `(the register holds ${describeValue(before)}), and no other order of these operations ` +
    `explains every result.`;
}

function describeShort(op: Operation): string {
  if (op.f === "read") return `read ${describeValue(op.output)}`;
  if (op.f === "write") return `write ${describeValue(op.input)}`;
  const [a, b] = op.input as JsonValue[];
  return `cas ${describeValue(a)}->${describeValue(b)}`;
}

/** Checks one key's operations and, when invalid, shrinks the anomaly. */
function checkKey(
  key: string,
  all: readonly Operation[],
  timeoutMs: number,
  shrinkMs: number,
): KeyVerdict {
  const relevant = relevantOperations(all);
  const outcome = checkKeyOps(relevant, performance.now() + timeoutMs);
  if (outcome.valid !== false) return { key, valid: outcome.valid, operations: all.length };
  const failing = relevant[outcome.failing];
  let window = relevantOperations(prefixUpTo(all, failing));
  if (checkKeyOps(window, performance.now() + timeoutMs).valid !== false) window = relevant;
  const small = relevantOperations(shrink(window, performance.now() + shrinkMs));
  const problem = new KeyProblem(small);
  const final = search(problem, Infinity);
  if (final.valid !== false) throw new Error("shrinking lost the anomaly (a checker bug)");
  const operations = [...small].sort((x, y) => x.invokePosition - y.invokePosition);
  return {
    key,
    valid: false,
    operations: all.length,
    anomaly: {
      key,
      operations,
      failing: small[final.failing],
      path: final.path.map((i, d) => ({
        operation: small[i],
        after: problem.values[final.states[d]],
      })),
      explanation: explain(problem, final),
    },
  };
}

/**
 * Checks a history of register operations for linearizability, key by key.
 *
 * @example
 * ```ts
 * import { parseHistory } from "./history.ts";
 * import { checkOperations } from "./linearizability.ts";
 * const ops = parseHistory([
 *   '{"process":0,"type":"invoke","f":"write","key":"k","value":1}',
 *   '{"process":0,"type":"ok","f":"write","key":"k","value":1}',
 *   '{"process":1,"type":"invoke","f":"read","key":"k","value":null}',
 *   '{"process":1,"type":"ok","f":"read","key":"k","value":null}',
 * ].join("\n"));
 * checkOperations(ops).valid; // false: a stale read
 * ```
 */
export function checkOperations(
  operations: readonly Operation[],
  options: CheckOptions = {},
): CheckResult {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const shrinkMs = options.shrinkMs ?? 5_000;
  const byKey = new Map<string, Operation[]>();
  for (const op of operations) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, list = []);
    list.push(op);
  }
  const keys = [...byKey.keys()].sort().map((key) =>
    checkKey(key, byKey.get(key)!, timeoutMs, shrinkMs)
  );
  const anomalies = keys.flatMap((k) => k.anomaly ? [k.anomaly] : []);
  const valid = keys.some((k) => k.valid === false)
    ? false
    : keys.some((k) => k.valid === "unknown")
    ? "unknown"
    : true;
  return {
    valid,
    keys,
    anomalies,
    operations: operations.length,
    elapsedMs: performance.now() - started,
  };
}

/** A person-readable account of an anomaly. */
export function formatAnomaly(anomaly: Anomaly): string {
  const lines = [
    `key ${
      JSON.stringify(anomaly.key)
    }: ${anomaly.operations.length} operations that no order explains:`,
    ...anomaly.operations.map((op) =>
      `  ${op === anomaly.failing ? "*" : " "} ${describeOperation(op)}`
    ),
    `  ${anomaly.explanation}`,
  ];
  return lines.join("\n");
}

/**
 * Generated register histories for the checker's tests: linearizable by
 * construction (every op gets a linearization point inside its interval).
 */
import type { HistoryEvent, JsonValue } from "../chaos/history.ts";
import { seededRandom } from "../chaos/random.ts";

type Outcome = "ok" | "fail" | "info";

/** A small PRNG so generated histories are reproducible (the chaos runner's own). */
export const mulberry32: (seed: number) => () => number = seededRandom;

export interface Generated {
  events: HistoryEvent[];
}

/**
 * A history that is linearizable by construction: every op gets a
 * linearization point inside its interval and reads/cas see the register
 * as the points order it. Info ops take effect or not at random.
 */
export function generate(
  seed: number,
  options: {
    processes: number;
    keys: number;
    opsPerProcess: number;
    /** Values drawn from 0..values-1; 0 means every write is a fresh value (as the runner writes). */
    values: number;
    info: number;
  },
): Generated {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  interface Planned {
    process: number;
    key: string;
    f: "read" | "write" | "cas";
    input: JsonValue;
    invoke: number;
    point: number;
    complete: number;
    info: boolean;
    applies: boolean;
    output?: JsonValue;
    outcome?: Outcome;
  }
  const planned: Planned[] = [];
  const written = new Map<string, JsonValue[]>();
  for (let p = 0; p < options.processes; p++) {
    let cursor = random() * 10;
    for (let i = 0; i < options.opsPerProcess; i++) {
      const invoke = cursor + random() * 5;
      const point = invoke + random() * 10;
      const complete = point + random() * 10;
      cursor = complete;
      const kind = pick(3);
      const f = kind === 0 ? "read" : kind === 1 ? "write" : "cas";
      const key = `k${pick(options.keys)}`;
      let input: JsonValue = null;
      if (options.values > 0) {
        if (f === "write") input = pick(options.values);
        if (f === "cas") input = [pick(options.values), pick(options.values)];
      } else if (f !== "read") {
        const fresh = `${p}-${i}`;
        const recent = written.get(key) ?? [null];
        input = f === "write" ? fresh : [recent[Math.max(0, recent.length - 1 - pick(3))], fresh];
        written.set(key, [...recent.slice(-3), fresh]);
      }
      const info = f !== "read" && random() < options.info;
      planned.push({
        process: p,
        key,
        f,
        input,
        invoke,
        point,
        complete,
        info,
        applies: !info || random() < 0.5,
      });
    }
  }
  const registers = new Map<string, JsonValue>();
  for (const op of [...planned].sort((a, b) => a.point - b.point)) {
    const state = registers.get(op.key) ?? null;
    if (op.f === "read") {
      op.output = state;
      op.outcome = "ok";
    } else if (op.f === "write") {
      if (op.applies) registers.set(op.key, op.input);
      op.outcome = op.info ? "info" : "ok";
    } else {
      const [expected, next] = op.input as JsonValue[];
      const matches = state === expected;
      if (matches && op.applies) registers.set(op.key, next);
      op.outcome = op.info ? "info" : matches ? "ok" : "fail";
    }
  }
  const timed: { time: number; order: number; event: HistoryEvent }[] = [];
  for (const op of planned) {
    timed.push({
      time: op.invoke,
      order: 0,
      event: { process: op.process, type: "invoke", f: op.f, key: op.key, value: op.input },
    });
    timed.push({
      time: op.complete,
      order: 1,
      event: {
        process: op.process,
        type: op.outcome!,
        f: op.f,
        key: op.key,
        value: op.f === "read" ? op.output! : op.input,
      },
    });
  }
  timed.sort((a, b) => a.time - b.time || a.order - b.order);
  return { events: timed.map((t) => t.event) };
}

/**
 * Register histories as JSON Lines: one operation event a line, in real-time
 * order, as Jepsen records them.
 *
 * ```json
 * {"process": 3, "type": "invoke", "f": "cas", "key": "k1", "value": ["a", "b"]}
 * {"process": 3, "type": "ok", "f": "cas", "key": "k1", "value": ["a", "b"]}
 * ```
 *
 * `parseHistory` validates every line and pairs each invocation with its
 * completion, so the checker only ever sees well-formed operations.
 *
 * @module
 */

/** How an event ends (or starts) an operation. */
export type EventType = "invoke" | "ok" | "fail" | "info";

/** The register operations the checker knows. */
export type RegisterFunction = "read" | "write" | "cas";

/** A JSON value as found in a history line. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** One line of a history. */
export interface HistoryEvent {
  /** The logical client; one operation outstanding at a time. */
  process: number;
  /** Invocation or outcome. */
  type: EventType;
  /** The operation. */
  f: RegisterFunction;
  /** The register (znode) the operation is about; `""` when the line has none. */
  key: string;
  /** Write: the value; cas: `[expected, new]`; read: null on invoke, the value read on ok. */
  value: JsonValue;
  /** Wall-clock milliseconds, when the recorder gave one (only used for the report). */
  time?: number;
}

/** An operation: an invocation paired with its completion. */
export interface Operation {
  /** Index in the order of invocation (0-based). */
  index: number;
  /** The process that ran it. */
  process: number;
  /** The operation. */
  f: RegisterFunction;
  /** The register. */
  key: string;
  /** What was asked: the written value, `[expected, new]`, or null for a read. */
  input: JsonValue;
  /** A read's result (ok reads only); otherwise null. */
  output: JsonValue;
  /** `ok`, `fail`, or `info` (indeterminate; also for an op never completed). */
  outcome: "ok" | "fail" | "info";
  /** 1-based line of the invocation. */
  invokeLine: number;
  /** 1-based line of the completion; null when the history ends first. */
  completeLine: number | null;
  /** Time of the invocation, if recorded. */
  invokeTime?: number;
  /** Time of the completion, if recorded. */
  completeTime?: number;
  /**
   * Position of the completion among all events (0-based), or
   * `Infinity` for an op that has no definite completion: an `info` op may
   * take effect at any time after its invocation, or never.
   */
  completePosition: number;
  /** Position of the invocation among all events (0-based). */
  invokePosition: number;
}

/** A history line that cannot be used: says which line and why. */
export class HistoryError extends Error {
  /** The 1-based line number, or 0 when the problem is not one line's. */
  readonly line: number;

  /** Makes the error for `line`. */
  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = "HistoryError";
    this.line = line;
  }
}

const EVENT_TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);
const FUNCTIONS: ReadonlySet<string> = new Set(["read", "write", "cas"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses one line into an event, or throws a {@linkcode HistoryError}. */
export function parseEvent(text: string, line: number): HistoryEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HistoryError(line, `not JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) throw new HistoryError(line, "an event must be a JSON object");
  const { process, type, f, key, value, time } = raw;
  if (typeof process !== "number" || !Number.isSafeInteger(process)) {
    throw new HistoryError(line, `"process" must be an integer, got ${JSON.stringify(process)}`);
  }
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) {
    throw new HistoryError(
      line,
      `"type" must be one of invoke, ok, fail, info; got ${JSON.stringify(type)}`,
    );
  }
  if (typeof f !== "string" || !FUNCTIONS.has(f)) {
    throw new HistoryError(line, `"f" must be one of read, write, cas; got ${JSON.stringify(f)}`);
  }
  if (key !== undefined && typeof key !== "string") {
    throw new HistoryError(line, `"key" must be a string, got ${JSON.stringify(key)}`);
  }
  if (time !== undefined && (typeof time !== "number" || !Number.isFinite(time))) {
    throw new HistoryError(line, `"time" must be a number, got ${JSON.stringify(time)}`);
  }
  if (value === undefined && !(f === "read" && type !== "ok")) {
    throw new HistoryError(line, `a ${type} ${f} needs a "value"`);
  }
  if (f === "cas" && value !== undefined && (!Array.isArray(value) || value.length !== 2)) {
    throw new HistoryError(
      line,
      `a cas value must be [expected, new], got ${JSON.stringify(value)}`,
    );
  }
  const event: HistoryEvent = {
    process,
    type: type as EventType,
    f: f as RegisterFunction,
    key: key ?? "",
    value: (value ?? null) as JsonValue,
  };
  if (time !== undefined) event.time = time;
  return event;
}

/** Same JSON value (structural equality), for matching an invocation to its completion. */
export function sameValue(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Pairs invocations with completions. Throws a {@linkcode HistoryError} for
 * a completion without an invocation, a second invocation on a busy process,
 * or a completion whose `f`, `key` or (for writes and cas) value differ from
 * its invocation's. An operation still open at the end is `info`.
 */
export function pairOperations(
  events: readonly HistoryEvent[],
  lines?: readonly number[],
): Operation[] {
  const operations: Operation[] = [];
  const open = new Map<number, Operation>();
  events.forEach((event, position) => {
    const line = lines?.[position] ?? position + 1;
    const pending = open.get(event.process);
    if (event.type === "invoke") {
      if (pending !== undefined) {
        throw new HistoryError(
          line,
          `process ${event.process} invokes ${event.f} while its ${pending.f} from line ${pending.invokeLine} is still open`,
        );
      }
      const operation: Operation = {
        index: operations.length,
        process: event.process,
        f: event.f,
        key: event.key,
        input: event.f === "read" ? null : event.value,
        output: null,
        outcome: "info",
        invokeLine: line,
        completeLine: null,
        completePosition: Infinity,
        invokePosition: position,
      };
      if (event.time !== undefined) operation.invokeTime = event.time;
      operations.push(operation);
      open.set(event.process, operation);
      return;
    }
    if (pending === undefined) {
      throw new HistoryError(
        line,
        `process ${event.process} completes a ${event.f} (${event.type}) it never invoked`,
      );
    }
    if (pending.f !== event.f || pending.key !== event.key) {
      throw new HistoryError(
        line,
        `process ${event.process} completes ${event.f} on ${
          JSON.stringify(event.key)
        } but invoked ${pending.f} on ${JSON.stringify(pending.key)} at line ${pending.invokeLine}`,
      );
    }
    if (event.f !== "read" && !sameValue(pending.input, event.value)) {
      throw new HistoryError(
        line,
        `the ${event.type} of process ${event.process}'s ${event.f} has value ${
          JSON.stringify(event.value)
        } but its invocation at line ${pending.invokeLine} had ${JSON.stringify(pending.input)}`,
      );
    }
    pending.outcome = event.type as "ok" | "fail" | "info";
    pending.completeLine = line;
    if (event.time !== undefined) pending.completeTime = event.time;
    if (event.type === "ok") {
      pending.completePosition = position;
      if (event.f === "read") pending.output = event.value;
    }
    open.delete(event.process);
  });
  return operations;
}

/**
 * Parses a whole JSON Lines history (blank lines are skipped) into paired
 * operations.
 *
 * @example
 * ```ts
 * import { parseHistory } from "./history.ts";
 * const ops = parseHistory('{"process":0,"type":"invoke","f":"write","value":1}\n' +
 *   '{"process":0,"type":"ok","f":"write","value":1}\n');
 * ops[0].outcome; // "ok"
 * ```
 */
export function parseHistory(text: string): Operation[] {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  text.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "") return;
    events.push(parseEvent(trimmed, i + 1));
    lines.push(i + 1);
  });
  if (events.length === 0) throw new HistoryError(0, "the history is empty");
  return pairOperations(events, lines);
}

/** Formats events as JSON Lines. */
export function formatHistory(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + (events.length > 0 ? "\n" : "");
}

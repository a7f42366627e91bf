/**
 * What workers tell the runner (one JSON object a line on their stdout) and
 * what the runner tells them (on their stdin). Times are wall-clock ms with
 * sub-ms precision (`performance.timeOrigin + performance.now()`), so records
 * of different processes on one machine compare.
 *
 * @module
 */

import type { HistoryEvent } from "./history.ts";

/** A register operation event (the linearizability history). */
export interface OpRecord extends HistoryEvent {
  t: "op";
  time: number;
}

/** One hold of the lock, from `acquire()` resolving to `release()` starting. */
export interface LockRecord {
  t: "lock";
  process: number;
  acquired: number;
  released: number;
  /** When the handle's ownership signal aborted during the hold, else null. */
  lostAt: number | null;
  /** Why it aborted (the reason's name). */
  lostReason: string | null;
}

/** A queue put or take. */
export interface QueueRecord {
  t: "queue";
  f: "put" | "take";
  process: number;
  /** The item put, or the item taken (null: the queue was empty, or unknown for info). */
  item: string | null;
  outcome: "ok" | "fail" | "info";
  start: number;
  time: number;
  error?: string;
}

/** A counter increment. */
export interface CounterRecord {
  t: "counter";
  process: number;
  delta: number;
  outcome: "ok" | "fail" | "info";
  start: number;
  time: number;
  error?: string;
}

/** A state change of a worker's client. */
export interface StateRecord {
  t: "state";
  worker: number;
  state: "CONNECTED" | "SUSPENDED" | "LOST" | "CLOSING";
  /** The session the state is about (hex). */
  session: string;
  /** The address the client is connected to (a proxy), when connected. */
  address: string | null;
  time: number;
}

/** An ephemeral node the worker's session created (the create was acknowledged). */
export interface EphemeralRecord {
  t: "ephemeral";
  worker: number;
  session: string;
  name: string;
  time: number;
}

/** A write to the TreeCache's subtree. */
export interface TreeWriteRecord {
  t: "tree-write";
  process: number;
  f: "create" | "set" | "delete";
  path: string;
  data: string | null;
  outcome: "ok" | "fail" | "info";
  start: number;
  time: number;
}

/** An event the TreeCache emitted. */
export interface TreeEventRecord {
  t: "tree-event";
  type: string;
  path: string;
  data: string | null;
  mzxid: string | null;
  time: number;
}

/** The TreeCache compared with a fresh read once the faults were healed. */
export interface TreeFinalRecord {
  t: "tree-final";
  equal: boolean;
  /** Paths that differ: cached value vs fresh value. */
  differences: { path: string; cached: string | null; fresh: string | null }[];
  time: number;
}

/** A line of a worker's log. */
export interface LogRecord {
  t: "log";
  worker: number;
  message: string;
  time: number;
}

/** The worker finished its end-of-run checks and is exiting. */
export interface DoneRecord {
  t: "done";
  worker: number;
  time: number;
}

/** Any record a worker writes. */
export type WorkerRecord =
  | OpRecord
  | LockRecord
  | QueueRecord
  | CounterRecord
  | StateRecord
  | EphemeralRecord
  | TreeWriteRecord
  | TreeEventRecord
  | TreeFinalRecord
  | LogRecord
  | DoneRecord;

/** A command from the runner to a worker. */
export type WorkerCommand =
  | { cmd: "expire"; address: string }
  | { cmd: "stop" };

/** Wall-clock ms with sub-ms precision, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The paths every workload uses under the run's root znode. */
export function workloadPaths(root: string): {
  registers: string;
  lock: string;
  queue: string;
  counter: string;
  ephemerals: string;
  tree: string;
} {
  return {
    registers: `${root}/registers`,
    lock: `${root}/lock`,
    queue: `${root}/queue`,
    counter: `${root}/counter`,
    ephemerals: `${root}/ephemerals`,
    tree: `${root}/tree`,
  };
}

/**
 * The workloads a chaos worker runs, each a loop that records what it asked
 * and what it got. A loop never passes a "stop" signal to an operation (that
 * would make it indeterminate for no reason); it checks between operations.
 *
 * An operation that ends with an error that leaves its effect unknown
 * (`ConnectionLossError`, a timeout, a closed client) is `info`, and the
 * logical process that ran it is retired, as Jepsen does.
 *
 * @module
 */

import {
  BadVersionError,
  Counter,
  Lock,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  Queue,
  SessionExpiredError,
  TreeCache,
  type ZooKeeperClient,
} from "../mod.ts";
import { now, type WorkerRecord, workloadPaths } from "./records.ts";

/** What every workload loop gets. */
export interface WorkloadContext {
  zk: ZooKeeperClient;
  worker: number;
  root: string;
  /** Aborts when the runner says stop. */
  stopping: AbortSignal;
  random: () => number;
  emit(record: WorkerRecord): void;
  /** A fresh logical process id (a worker runs many over a run). */
  nextProcess(): number;
}

const decoder = new TextDecoder();

/** The longest a single operation may take before it counts as indeterminate. */
export const OPERATION_TIMEOUT_MS = 20_000;

/** `info` unless the error says the operation certainly did not happen. */
export function outcomeOf(error: unknown, definite: (e: unknown) => boolean): "fail" | "info" {
  return definite(error) ? "fail" : "info";
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Register keys: `k0`..`k{n-1}`, znodes under `registers`. */
export function registerKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${i}`);
}

/**
 * Reads, writes and compare-and-sets registers. A read is `sync` then `get`
 * (ZooKeeper reads are served by the member a client is connected to and may
 * be stale without the sync). A cas is `set` with the version this process
 * last read for the key, recorded as `[value read, new value]`: every write
 * writes a fresh value, so "the version is v" and "the value is the one read
 * at v" are the same condition.
 */
export async function registerLoop(ctx: WorkloadContext, keys: readonly string[]): Promise<void> {
  const dir = workloadPaths(ctx.root).registers;
  let process = ctx.nextProcess();
  let sequence = 0;
  const lastRead = new Map<string, { value: string | null; version: number }>();
  while (!ctx.stopping.aborted) {
    const key = keys[Math.floor(ctx.random() * keys.length)];
    const path = `${dir}/${key}`;
    const dice = ctx.random();
    const known = lastRead.get(key);
    const f = dice < 0.4 ? "read" : dice < 0.7 || known === undefined ? "write" : "cas";
    const fresh = `${process}-${sequence++}`;
    const value = f === "read" ? null : f === "write" ? fresh : [known!.value, fresh];
    const emit = (type: "invoke" | "ok" | "fail" | "info", result: typeof value) =>
      ctx.emit({ t: "op", process, type, f, key, value: result, time: now() });
    emit("invoke", value);
    const signal = AbortSignal.timeout(OPERATION_TIMEOUT_MS);
    try {
      if (f === "read") {
        await ctx.zk.sync(path, { signal });
        const { data, stat } = await ctx.zk.get(path, { signal });
        const text = data.length === 0 ? null : decoder.decode(data);
        emit("ok", text);
        lastRead.set(key, { value: text, version: stat.version });
      } else {
        await ctx.zk.set(path, fresh, {
          version: f === "cas" ? known!.version : -1,
          signal,
        });
        emit("ok", value);
      }
    } catch (error) {
      // A read changes nothing: whatever went wrong, it did not happen.
      const outcome = f === "read" ? "fail" : outcomeOf(
        error,
        (e) => e instanceof BadVersionError || e instanceof NoNodeError,
      );
      emit(outcome, value);
      if (outcome === "info") process = ctx.nextProcess();
      if (f === "cas" && error instanceof BadVersionError) lastRead.delete(key);
    }
    await pause(ctx.random() * 20, ctx.stopping);
  }
}

/**
 * Takes the lock, holds it a little while, releases it. Records each hold
 * with the moment its ownership signal aborted, if it did.
 */
export async function lockLoop(ctx: WorkloadContext): Promise<void> {
  const lock = new Lock(ctx.zk, workloadPaths(ctx.root).lock, `worker-${ctx.worker}`);
  while (!ctx.stopping.aborted) {
    const process = ctx.nextProcess();
    let handle;
    try {
      handle = await lock.acquire({ timeout: OPERATION_TIMEOUT_MS });
    } catch {
      await pause(50 + ctx.random() * 100, ctx.stopping);
      continue;
    }
    const acquired = now();
    let lostAt: number | null = null;
    let lostReason: string | null = null;
    const onAbort = () => {
      lostAt ??= now();
      lostReason ??= errorName(handle!.signal.reason);
    };
    if (handle.signal.aborted) onAbort();
    else handle.signal.addEventListener("abort", onAbort, { once: true });
    await pause(20 + ctx.random() * 200, handle.signal);
    const released = now();
    handle.signal.removeEventListener("abort", onAbort);
    ctx.emit({ t: "lock", process, acquired, released, lostAt, lostReason });
    try {
      await handle.release();
    } catch {
      // The session ended: the node went with it.
    }
    await pause(ctx.random() * 50, ctx.stopping);
  }
}

/** Puts fresh items into the queue. */
export async function queueProducerLoop(ctx: WorkloadContext): Promise<void> {
  const queue = new Queue(ctx.zk, workloadPaths(ctx.root).queue);
  let process = ctx.nextProcess();
  let sequence = 0;
  while (!ctx.stopping.aborted) {
    const item = `w${ctx.worker}-${sequence++}`;
    const start = now();
    try {
      await queue.put(item, { signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS) });
      ctx.emit({ t: "queue", f: "put", process, item, outcome: "ok", start, time: now() });
    } catch (error) {
      ctx.emit({
        t: "queue",
        f: "put",
        process,
        item,
        outcome: "info",
        start,
        time: now(),
        error: errorName(error),
      });
      process = ctx.nextProcess();
    }
    await pause(10 + ctx.random() * 40, ctx.stopping);
  }
}

/** Takes items from the queue. */
export async function queueConsumerLoop(ctx: WorkloadContext): Promise<void> {
  const queue = new Queue(ctx.zk, workloadPaths(ctx.root).queue);
  let process = ctx.nextProcess();
  while (!ctx.stopping.aborted) {
    const start = now();
    try {
      const data = await queue.get({ signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS) });
      const item = data === null ? null : decoder.decode(data);
      ctx.emit({ t: "queue", f: "take", process, item, outcome: "ok", start, time: now() });
      if (item === null) await pause(30, ctx.stopping);
    } catch (error) {
      ctx.emit({
        t: "queue",
        f: "take",
        process,
        item: null,
        outcome: "info",
        start,
        time: now(),
        error: errorName(error),
      });
      process = ctx.nextProcess();
    }
    await pause(ctx.random() * 30, ctx.stopping);
  }
}

/** Adds small deltas to the shared counter. */
export async function counterLoop(ctx: WorkloadContext): Promise<void> {
  const counter = new Counter(ctx.zk, workloadPaths(ctx.root).counter);
  let process = ctx.nextProcess();
  while (!ctx.stopping.aborted) {
    const delta = 1 + Math.floor(ctx.random() * 9);
    const start = now();
    try {
      await counter.add(delta, { signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS) });
      ctx.emit({ t: "counter", process, delta, outcome: "ok", start, time: now() });
    } catch (error) {
      ctx.emit({
        t: "counter",
        process,
        delta,
        outcome: "info",
        start,
        time: now(),
        error: errorName(error),
      });
      process = ctx.nextProcess();
    }
    await pause(10 + ctx.random() * 40, ctx.stopping);
  }
}

/** The paths the tree workload writes under the TreeCache's root. */
export function treePaths(root: string): string[] {
  const tree = workloadPaths(root).tree;
  return [`${tree}/a`, `${tree}/b`, `${tree}/c`, `${tree}/a/x`, `${tree}/a/y`, `${tree}/b/z`];
}

/** Creates, sets and deletes nodes of the cached subtree with fresh data. */
export async function treeWriterLoop(ctx: WorkloadContext): Promise<void> {
  const paths = treePaths(ctx.root);
  let process = ctx.nextProcess();
  let sequence = 0;
  while (!ctx.stopping.aborted) {
    const path = paths[Math.floor(ctx.random() * paths.length)];
    const dice = ctx.random();
    const f = dice < 0.4 ? "create" : dice < 0.8 ? "set" : "delete";
    const data = f === "delete" ? null : `${process}-${sequence++}`;
    const start = now();
    const signal = AbortSignal.timeout(OPERATION_TIMEOUT_MS);
    let outcome: "ok" | "fail" | "info" = "ok";
    try {
      if (f === "create") await ctx.zk.create(path, data!, { signal });
      else if (f === "set") await ctx.zk.set(path, data!, { signal });
      else await ctx.zk.delete(path, { signal });
    } catch (error) {
      outcome = outcomeOf(
        error,
        (e) =>
          e instanceof NoNodeError || e instanceof NodeExistsError || e instanceof NotEmptyError,
      );
    }
    ctx.emit({ t: "tree-write", process, f, path, data, outcome, start, time: now() });
    if (outcome === "info") process = ctx.nextProcess();
    await pause(20 + ctx.random() * 80, ctx.stopping);
  }
}

/** Every node of a subtree with its data, read from the server after a sync. */
export async function readTree(
  zk: ZooKeeperClient,
  root: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  await zk.sync(root, { signal });
  const nodes = new Map<string, string>();
  const visit = async (path: string) => {
    try {
      const { data } = await zk.get(path, { signal });
      nodes.set(path, decoder.decode(data));
      const children = await zk.getChildren(path, { signal });
      for (const child of children) await visit(`${path}/${child}`);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  };
  await visit(root);
  return nodes;
}

/** What the TreeCache holds, as path -> data. */
export function cachedTree(cache: TreeCache, root: string): Map<string, string> {
  const nodes = new Map<string, string>();
  const visit = (path: string) => {
    const node = cache.get(path);
    if (node === undefined) return;
    nodes.set(path, node.data === undefined ? "" : decoder.decode(node.data));
    for (const child of cache.children(path) ?? []) visit(`${path}/${child}`);
  };
  visit(root);
  return nodes;
}

/** Differences between two trees. */
export function treeDifferences(
  cached: Map<string, string>,
  fresh: Map<string, string>,
): { path: string; cached: string | null; fresh: string | null }[] {
  const paths = new Set([...cached.keys(), ...fresh.keys()]);
  return [...paths].sort().flatMap((path) => {
    const a = cached.get(path) ?? null, b = fresh.get(path) ?? null;
    return a === b ? [] : [{ path, cached: a, fresh: b }];
  });
}

/**
 * Runs a TreeCache on the subtree, records every node event, and at the end
 * (faults healed) waits for it to equal a fresh read.
 */
export async function startTreeCache(ctx: WorkloadContext): Promise<{
  finish(): Promise<void>;
}> {
  const root = workloadPaths(ctx.root).tree;
  const cache = new TreeCache(ctx.zk, root, {
    onError: (error) =>
      ctx.emit({
        t: "log",
        worker: ctx.worker,
        message: `TreeCache: ${errorName(error)}`,
        time: now(),
      }),
  });
  cache.addListener((event) => {
    ctx.emit({
      t: "tree-event",
      type: event.type,
      path: event.path,
      data: event.data === undefined ? null : decoder.decode(event.data),
      mzxid: event.stat === undefined ? null : event.stat.mzxid.toString(),
      time: now(),
    });
  });
  await cache.start({ signal: AbortSignal.timeout(60_000) });
  return {
    async finish() {
      const deadline = now() + 30_000;
      let differences: ReturnType<typeof treeDifferences> = [];
      for (;;) {
        try {
          const fresh = await readTree(ctx.zk, root, AbortSignal.timeout(10_000));
          differences = treeDifferences(cachedTree(cache, root), fresh);
          if (differences.length === 0 || now() > deadline) break;
        } catch (error) {
          if (now() > deadline) {
            differences = [{ path: root, cached: null, fresh: `unreadable: ${errorName(error)}` }];
            break;
          }
        }
        await pause(200);
      }
      ctx.emit({ t: "tree-final", equal: differences.length === 0, differences, time: now() });
      await cache.close();
    },
  };
}

/**
 * Keeps one ephemeral node per session of the worker's client, named after
 * the session, and reports every state change with the session it concerns.
 */
export function trackSessions(ctx: WorkloadContext): { stop(): void } {
  const dir = workloadPaths(ctx.root).ephemerals;
  let session = ctx.zk.sessionId;
  const hex = (id: bigint) => id.toString(16);
  const created = new Set<bigint>();
  const ensureEphemeral = async (id: bigint) => {
    if (created.has(id)) return;
    created.add(id);
    const name = `w${ctx.worker}-${hex(id)}`;
    while (!ctx.stopping.aborted && ctx.zk.sessionId === id) {
      try {
        await ctx.zk.create(`${dir}/${name}`, "", {
          ephemeral: true,
          signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS),
        });
        ctx.emit({ t: "ephemeral", worker: ctx.worker, session: hex(id), name, time: now() });
        return;
      } catch (error) {
        if (error instanceof NodeExistsError) {
          // Our own create, retried after a lost reply: it is there.
          ctx.emit({ t: "ephemeral", worker: ctx.worker, session: hex(id), name, time: now() });
          return;
        }
        if (error instanceof SessionExpiredError) return;
        await pause(100);
      }
    }
  };
  const listener = (state: string) => {
    const time = now();
    if (state === "CONNECTED") session = ctx.zk.sessionId;
    ctx.emit({
      t: "state",
      worker: ctx.worker,
      state: state as "CONNECTED" | "SUSPENDED" | "LOST",
      session: hex(session),
      address: ctx.zk.connectedAddress ?? null,
      time,
    });
    if (state === "CONNECTED") ensureEphemeral(session).catch(() => {});
  };
  ctx.zk.addListener(listener);
  listener("CONNECTED");
  return {
    stop() {
      ctx.zk.removeListener(listener);
      ctx.emit({
        t: "state",
        worker: ctx.worker,
        state: "CLOSING",
        session: hex(ctx.zk.sessionId),
        address: null,
        time: now(),
      });
    },
  };
}

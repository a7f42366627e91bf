/**
 * One TreeCache bench worker, run under Deno or Bun by `cache_bench_run.ts`:
 * `<hosts> <leaves> <mode> <rounds>` where mode is `persistent` or
 * `oneShot`. The tree (see `cache_tree.ts`) is already on the server. Each
 * round builds a cache of it and measures:
 *
 * - the build: `start()` until INITIALIZED;
 * - the heap (and the memory outside it: array buffers) the started cache
 *   adds, per cached node, after forced collections;
 * - a burst: 1,000 `set`s on leaves spread across the tree, 1,000 in
 *   flight, from the first sent until the cache has reported every new
 *   value (NODE_UPDATED with the new data). A second session writes, as
 *   another client would: on the cache's own session each of its reads
 *   would wait for the writes sent before it, stalling the server's
 *   pipelining of those writes (2.3 s instead of 0.2 s for the sets alone).
 *
 * Prints one JSON line per round. Collections are forced with `gc()`
 * (Deno's `--v8-flags=--expose-gc`) or `Bun.gc(true)`; without either the
 * heap figures are left out.
 *
 * @module
 */
import process from "node:process";
import { connect } from "../mod.ts";
import { TreeCache } from "../recipes/tree_cache.ts";
import { CACHE_TREE_CHILDREN, cacheTree, leafPath } from "./cache_tree.ts";

/** One round's figures, as printed. */
export interface CacheRound {
  runtime: string;
  mode: string;
  nodes: number;
  buildMs: number;
  heapPerNode?: number;
  externalPerNode?: number;
  burstMs: number;
  /** From the first set sent to the last set's reply. */
  setsMs: number;
  burst: number;
}

const BURST = 1000;

const [hosts, leavesText, mode, roundsText] = process.argv.slice(2);
if (mode !== "persistent" && mode !== "oneShot") throw new Error(`unknown mode ${mode}`);
const tree = cacheTree(Number(leavesText));
const rounds = Number(roundsText ?? 1);

const bun = (globalThis as { Bun?: { gc(sync: boolean): void; version: string } }).Bun;
const v8gc = (globalThis as { gc?: () => void }).gc;
const forceGc = bun ? () => bun.gc(true) : v8gc;
const runtime = bun ? `Bun ${bun.version}` : `Deno ${process.versions.deno}`;

/** Heap and off-heap (array buffer) bytes in use, after forced collections when possible. */
function memory(): { heap: number; external: number } {
  forceGc?.();
  forceGc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, external: usage.external };
}

/** The leaves the burst sets: 10 per child of the root, moved along each round. */
function burstPaths(round: number): string[] {
  const stride = Math.floor(tree.leaves / 10);
  const paths: string[] = [];
  for (let i = 0; i < BURST; i++) {
    const l = (Math.floor(i / CACHE_TREE_CHILDREN) * stride + round) % tree.leaves;
    paths.push(leafPath(tree, i % CACHE_TREE_CHILDREN, l));
  }
  return paths;
}

const zk = await connect(hosts, { sessionTimeout: 30_000 });
const writer = await connect(hosts, { sessionTimeout: 30_000 });
try {
  for (let round = 0; round < rounds; round++) {
    const before = memory();
    const cache = new TreeCache(zk, tree.root, { watchMode: mode });
    const started = performance.now();
    await cache.start();
    const buildMs = performance.now() - started;
    const after = memory();
    if (cache.size !== tree.nodes) throw new Error(`cached ${cache.size} of ${tree.nodes} nodes`);

    // A value no leaf has had: the round and the worker's start, in the first bytes.
    const marker = new Uint8Array(32);
    new DataView(marker.buffer).setFloat64(0, Date.now() + round);
    const pending = new Set(burstPaths(round));
    const { promise: reflected, resolve } = Promise.withResolvers<void>();
    cache.addListener((event) => {
      if (event.type !== "NODE_UPDATED" || !pending.has(event.path)) return;
      const data = event.data;
      if (data === undefined || data.byteLength !== marker.byteLength) return;
      for (let i = 0; i < 8; i++) if (data[i] !== marker[i]) return;
      pending.delete(event.path);
      if (pending.size === 0) resolve();
    });
    const burstStarted = performance.now();
    let setsMs = 0;
    const sets = Promise.all([...pending].map((path) => writer.set(path, marker))).then(() => {
      setsMs = performance.now() - burstStarted;
    });
    await Promise.all([sets, reflected]);
    const burstMs = performance.now() - burstStarted;
    await cache.close();

    const row: CacheRound = {
      runtime,
      mode,
      nodes: tree.nodes,
      buildMs,
      burstMs,
      setsMs,
      burst: BURST,
    };
    if (forceGc) {
      row.heapPerNode = (after.heap - before.heap) / tree.nodes;
      row.externalPerNode = (after.external - before.external) / tree.nodes;
    }
    console.log(JSON.stringify(row));
  }
} finally {
  await writer.close();
  await zk.close();
}

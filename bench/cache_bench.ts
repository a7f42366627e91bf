/**
 * TreeCache on a tree of 10,001 nodes (a root, 100 children, 99 leaves
 * each, 32 bytes of data apiece): how long `start()` takes to build the
 * cache, and how much heap each cached node costs, with one persistent
 * recursive watch (ZooKeeper 3.6+) versus kazoo's one-shot data and child
 * watches on every node.
 *
 * ```sh
 * deno bench -A --v8-flags=--expose-gc bench/cache_bench.ts
 * ```
 *
 * `deno task bench:cache` (`cache_bench_run.ts`) measures the 100,001-node
 * tree under Deno and Bun, with update bursts.
 *
 * Without `--expose-gc` the memory figures are best effort (no forced
 * collection around the measurement). It starts its own standalone server
 * (on free ports) unless `ZK_HOSTS` names one; there it keeps the tree
 * in `/zk-client-bench-cache` between runs (remove it with `deleteall`).
 */

import { connect } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { TreeCache, type TreeCacheOptions } from "../recipes/tree_cache.ts";
import { CACHE_TREE_DATA as DATA, cacheTree, ensureCacheTree } from "./cache_tree.ts";

// CACHE_LEAVES=999 builds the 100,001-node tree (`cache_bench_run.ts` measures
// that one, with update bursts, under Deno and Bun).
const LEAVES = Number(Deno.env.get("CACHE_LEAVES") ?? 99);
const TREE = cacheTree(LEAVES);
const ROOT = TREE.root;
const NODES = TREE.nodes;

const gc = (globalThis as { gc?: () => void }).gc;

const hosts = Deno.env.get("ZK_HOSTS");
const cluster = hosts === undefined ? await ZooKeeperCluster.start({ freePorts: true }) : undefined;
const zk = await connect(hosts ?? cluster!.connectionString(), { sessionTimeout: 30_000 });
await ensureCacheTree(zk, TREE);

interface Case {
  name: string;
  options: TreeCacheOptions;
  /** start() durations, ms. */
  times: number[];
  bytesPerNode?: number;
  /** Growth of memory outside the JS heap (array buffers) per node. */
  externalPerNode?: number;
}

const cases: Case[] = [
  { name: "per-node one-shot watches", options: { watchMode: "oneShot" }, times: [] },
  { name: "persistent recursive watch", options: { watchMode: "persistent" }, times: [] },
  {
    name: "persistent recursive, stat only",
    options: { watchMode: "persistent", dataMode: "stat" },
    times: [],
  },
];

function heapUsed(): number {
  gc?.();
  gc?.();
  return Deno.memoryUsage().heapUsed;
}

/** Heap growth per cached node while a started cache is alive (its watch bookkeeping included). */
async function bytesPerNode(options: TreeCacheOptions): Promise<[number, number]> {
  const before = heapUsed();
  const externalBefore = Deno.memoryUsage().external;
  const cache = new TreeCache(zk, ROOT, options);
  await cache.start();
  const after = heapUsed();
  const externalAfter = Deno.memoryUsage().external;
  const size = cache.size;
  await cache.close();
  if (size !== NODES) throw new Error(`cached ${size} nodes, expected ${NODES}`);
  return [(after - before) / size, (externalAfter - externalBefore) / size];
}

// Memory first, each case after a warm-up build, so code and client buffers
// are already allocated when the heap is measured.
for (const c of cases) {
  await bytesPerNode(c.options);
  [c.bytesPerNode, c.externalPerNode] = await bytesPerNode(c.options);
}

for (const c of cases) {
  Deno.bench({
    name: c.name,
    group: `build a TreeCache of ${NODES} nodes`,
    baseline: c === cases[0],
    n: LEAVES > 99 ? 2 : 8,
    warmup: LEAVES > 99 ? 1 : 2,
    async fn(b) {
      const cache = new TreeCache(zk, ROOT, c.options);
      const started = performance.now();
      b.start();
      await cache.start();
      b.end();
      c.times.push(performance.now() - started);
      if (cache.size !== NODES) throw new Error(`cached ${cache.size} nodes`);
      await cache.close();
    },
  });
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

addEventListener("unload", () => {
  const rows = cases.map((c) => ({
    "watch strategy": c.name,
    "start() median, ms": c.times.length ? Math.round(median(c.times)) : "-",
    "nodes/s": c.times.length ? Math.round(NODES / (median(c.times) / 1000)) : "-",
    // Without forced collections the delta is noise, and can be negative.
    "heap bytes/node": gc || (c.bytesPerNode ?? 0) > 0 ? Math.round(c.bytesPerNode ?? NaN) : "n/a",
    "external bytes/node": Math.round(c.externalPerNode ?? NaN),
  }));
  console.log(
    `\nTreeCache of ${NODES} nodes (${DATA.length}-byte data) against ${
      hosts ?? "a harness standalone server"
    }; heap ${gc ? "measured after forced GC" : "best effort (run with --v8-flags=--expose-gc)"}:`,
  );
  console.table(rows);
});

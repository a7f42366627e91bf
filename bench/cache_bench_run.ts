/**
 * TreeCache under Deno and under Bun, each in a process of its own
 * (`cache_bench_worker.ts`), against one server: for each runtime and watch
 * mode (one persistent recursive watch, or kazoo's one-shot watches on
 * every node), the time to build a cache of a 100,001-node tree, the heap
 * it holds per node, and the time for a burst of 1,000 `set`s across the
 * tree (made by another session) to be reflected in it. Prints one table, a
 * row per runtime and mode.
 *
 * ```sh
 * deno task bench:cache      # CACHE_LEAVES=999 ROUNDS=2 RUNTIMES=deno,bun
 * ```
 *
 * `CACHE_LEAVES` sets the leaves under each of the root's 100 children (99
 * gives the 10,001-node tree of `cache_bench.ts`). It starts its own
 * standalone server on free ports unless `ZK_HOSTS` names one; there the
 * tree stays between runs (`/zk-client-bench-cache-<leaves>`; remove it with
 * `deleteall`). A runtime that is missing is left out with a note.
 *
 * @module
 */

import { connect } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import type { CacheRound } from "./cache_bench_worker.ts";
import { cacheTree, ensureCacheTree } from "./cache_tree.ts";

const leaves = Number(Deno.env.get("CACHE_LEAVES") ?? 999);
const rounds = Number(Deno.env.get("ROUNDS") ?? 2);
const wanted = (Deno.env.get("RUNTIMES") ?? "deno,bun").split(",");
const modes = ["persistent", "oneShot"] as const;
const worker = new URL("./cache_bench_worker.ts", import.meta.url).pathname;
const tree = cacheTree(leaves);

async function has(command: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const runtimes: { name: string; command: string[] }[] = [];
if (wanted.includes("deno")) {
  runtimes.push({
    name: "deno",
    command: [Deno.execPath(), "run", "-A", "--v8-flags=--expose-gc", worker],
  });
}
if (wanted.includes("bun")) {
  if (await has("bun")) runtimes.push({ name: "bun", command: ["bun", worker] });
  else console.error("bun: left out (no bun on PATH)");
}

const hosts = Deno.env.get("ZK_HOSTS");
await using cluster = hosts === undefined
  ? await ZooKeeperCluster.start({ freePorts: true })
  : undefined;
const connectionString = hosts ?? cluster!.connectionString();
{
  await using zk = await connect(connectionString, { sessionTimeout: 30_000 });
  const started = performance.now();
  await ensureCacheTree(zk, tree);
  console.error(
    `tree of ${tree.nodes} nodes ready in ${Math.round(performance.now() - started)} ms`,
  );
}

async function runWorker(command: string[], mode: string): Promise<CacheRound[]> {
  const [program, ...args] = command;
  const out = await new Deno.Command(program, {
    args: [...args, connectionString, String(leaves), mode, String(rounds)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${command.join(" ")} ${mode} failed (${out.code})`);
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as CacheRound);
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const spread = (xs: number[], digits = 0): string => {
  const round = (x: number) => x.toFixed(digits);
  const m = round(median(xs));
  return xs.length > 1 ? `${m} (${round(Math.min(...xs))}–${round(Math.max(...xs))})` : m;
};

const rows: Record<string, string | number>[] = [];
for (const runtime of runtimes) {
  for (const mode of modes) {
    const samples = await runWorker(runtime.command, mode);
    const heap = samples.flatMap((s) => s.heapPerNode === undefined ? [] : [s.heapPerNode]);
    const external = samples.flatMap((s) =>
      s.externalPerNode === undefined ? [] : [s.externalPerNode]
    );
    // Bun's heapUsed counts array buffers too (its external is the same bytes
    // again); Deno's does not, so its total adds them.
    const total = samples.flatMap((s) =>
      s.heapPerNode === undefined
        ? []
        : [runtime.name === "bun" ? s.heapPerNode : s.heapPerNode + (s.externalPerNode ?? 0)]
    );
    rows.push({
      runtime: samples[0].runtime,
      mode,
      "build ms": spread(samples.map((s) => s.buildMs)),
      "nodes/s": Math.round(tree.nodes / (median(samples.map((s) => s.buildMs)) / 1000)),
      "heap B/node": heap.length ? spread(heap) : "n/a",
      "external B/node": external.length ? spread(external) : "n/a",
      "total B/node": total.length ? spread(total) : "n/a",
      [`${samples[0].burst} sets acked, ms`]: spread(samples.map((s) => s.setsMs)),
      [`… reflected, ms`]: spread(samples.map((s) => s.burstMs)),
    });
  }
}

console.log(
  `\nTreeCache of ${tree.nodes} nodes (32-byte data), ${rounds} round(s) per row, median ` +
    `(min–max), against ${hosts ?? "a harness standalone server"}; total = heap + array ` +
    `buffers (Bun's heap already counts them; Deno's does not):`,
);
console.table(rows);

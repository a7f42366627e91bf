/**
 * Start-to-exit time of one `zk get` against a local server, for the
 * `bun build --compile` binary, `deno run`, `bun run` and zkCli.sh:
 * `deno task bench:cli`. Reports medians and ratios (a report, not an
 * assertion: the machine may be busy).
 *
 * @module
 */

import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { buildCli } from "../tools/build_cli.ts";

const CLI = new URL("../cli/main.ts", import.meta.url).pathname;
const RUNS = Number(Deno.env.get("ZK_BENCH_RUNS") ?? 15);
const ZKCLI_CANDIDATES = [
  Deno.env.get("ZKCLI"),
  "/usr/share/zookeeper/bin/zkCli.sh",
  "/opt/zookeeper/bin/zkCli.sh",
].filter((p): p is string => p !== undefined);

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const TIME = exists("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** Wall time of one run, and its CPU time (user + system) when /usr/bin/time can tell. */
async function timeRun(
  argv: string[],
  env: Record<string, string>,
): Promise<{ wall: number; cpu?: number }> {
  const command = TIME ? [TIME, "-f", "cpu %U %S", ...argv] : argv;
  const started = performance.now();
  const { success, stderr } = await new Deno.Command(command[0], {
    args: command.slice(1),
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const wall = performance.now() - started;
  const text = new TextDecoder().decode(stderr);
  if (!success) throw new Error(`${argv.join(" ")} failed: ${text}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(text);
  return { wall, cpu: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

await using cluster = await ZooKeeperCluster.start({ freePorts: true });
const hosts = cluster.connectionString();
const dir = await Deno.makeTempDir({ prefix: "zk-bench-" });
try {
  const setup = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--server", hosts, "create", "/bench", "some data"],
  }).output();
  if (!setup.success) throw new Error("could not create /bench");
  const variants: [string, string[]][] = [];
  const built = await buildCli(`${dir}/zk`).then(() => true, (error) => {
    console.warn(`no binary to time: ${(error as Error).message}`);
    return false;
  });
  if (built) variants.push(["bun build --compile", [`${dir}/zk`, "get", "/bench"]]);
  variants.push(["deno run", [Deno.execPath(), "run", "-A", CLI, "get", "/bench"]]);
  if (built) variants.push(["bun run", ["bun", "run", CLI, "get", "/bench"]]);
  const zkCli = ZKCLI_CANDIDATES.find(exists);
  if (zkCli) variants.push(["zkCli.sh", [zkCli, "-server", hosts, "get", "/bench"]]);
  else console.warn("zkCli.sh not found (set ZKCLI): not timed");

  const env = { ZK_HOSTS: hosts };
  for (const [, argv] of variants) {
    for (let i = 0; i < 2; i++) await timeRun(argv, env); // warm the page cache
  }
  // Round-robin, so that a busy moment of the machine hits every variant alike.
  const runs = variants.map(() => [] as { wall: number; cpu?: number }[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [v, [, argv]] of variants.entries()) runs[v].push(await timeRun(argv, env));
  }
  const results = variants.map(([name], v) => {
    const cpus = runs[v].map((r) => r.cpu).filter((c): c is number => c !== undefined);
    return {
      name,
      wall: median(runs[v].map((r) => r.wall)),
      cpu: cpus.length > 0 ? median(cpus) : undefined,
    };
  });
  const fastest = Math.min(...results.map((r) => r.wall));
  const zkCliMs = results.find((r) => r.name === "zkCli.sh")?.wall;
  console.log(`zk get, start to exit, median of ${RUNS} runs (wall; CPU = user + system):`);
  for (const { name, wall, cpu } of results) {
    const cpuText = cpu === undefined ? "" : `, CPU ${cpu.toFixed(0)} ms`;
    const vsZkCli = zkCliMs ? `, zkCli.sh takes ${(zkCliMs / wall).toFixed(1)}× as long` : "";
    console.log(
      `  ${name.padEnd(20)} ${wall.toFixed(1).padStart(7)} ms${cpuText}; ` +
        `${(wall / fastest).toFixed(2)}× the fastest${vsZkCli}`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

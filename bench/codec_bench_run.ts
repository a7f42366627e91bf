/**
 * The codec bench (`codec_cases.ts` against node-zookeeper-client's
 * `codec_nzc.mjs`) as a plain script, for the runtimes `deno bench` does not
 * cover: it runs a process of its own under Deno and one under Bun, each
 * timing both codecs in the same process as `deno bench` does, and nzc once
 * more under Node, as nzc's users run it. The runs alternate (`RUNS`, 3 by
 * default, the order rotated each run) and the table shows the median of the
 * runs, each run's figure being the median of its timing rounds (`STAT=min`:
 * the fastest round, which a busy machine disturbs least but which also
 * counts the least GC).
 * `CLOCK=cpu` times by the process's CPU time (user + system, its GC threads
 * included) instead of the clock: on a shared machine the clock also counts
 * the time the process waits for a core.
 *
 * ```sh
 * deno task bench:codec          # or: bun bench/codec_bench_run.ts
 * RUNS=5 RUNTIMES=deno,bun STAT=min CLOCK=cpu deno task bench:codec
 * ```
 *
 * nzc is installed with npm into a temporary directory on first use (the
 * one `compare.ts` uses). Runtimes that are missing are left out with a note.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  CODEC_GROUPS,
  type CodecCases,
  type CodecFixtures,
  codecFixtures,
  type CodecGroup,
  ourCodecCases,
} from "./codec_cases.ts";
import { loadNzc, nzcCodecCases, timeCases } from "./codec_nzc.mjs";
import { nzcDirectory } from "./nzc_install.ts";

/** A case's timing in one run, in ns per call: by the clock, and by the process's CPU time. */
interface Timing {
  medianNs: number;
  minNs: number;
  cpuMedianNs: number;
  cpuMinNs: number;
}

/** What a child prints: each side's timings by group (`ours` absent under Node). */
interface RunResult {
  ours?: Record<string, Timing>;
  nzc: Record<string, Timing>;
}

type Runtime = "deno" | "bun" | "node";

const RUNTIME_NAMES: Record<Runtime, string> = {
  deno: "Deno",
  bun: "Bun",
  node: "nzc on Node",
};

const script = fileURLToPath(import.meta.url);
const nzcScript = fileURLToPath(new URL("./codec_nzc.mjs", import.meta.url));
const TIMING = { rounds: 60, batchMs: 5, warmupMs: 500 };

/** The child: times both codecs, interleaved, in this process, and prints them as JSON. */
function child(nzcDir: string): void {
  const fixtures = codecFixtures();
  const ours = ourCodecCases(fixtures);
  const nzc = nzcCodecCases(loadNzc(nzcDir), fixtures) as CodecCases;
  const cases: Record<string, () => void> = {};
  for (const group of CODEC_GROUPS) {
    cases[`nzc:${group}`] = nzc[group];
    cases[`ours:${group}`] = ours[group];
  }
  const times = timeCases(cases, TIMING) as Record<string, Timing>;
  const result: RunResult = { ours: {}, nzc: {} };
  for (const group of CODEC_GROUPS) {
    result.ours![group] = times[`ours:${group}`];
    result.nzc[group] = times[`nzc:${group}`];
  }
  console.log(JSON.stringify(result));
}

function succeeds(command: string, args: string[]): boolean {
  try {
    return spawnSync(command, args, { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One run of `runtime`'s child; throws with its stderr if it fails. */
function run(runtime: Runtime, nzcDir: string, fixtures: CodecFixtures): RunResult {
  const env = { ...process.env, NZC_DIR: nzcDir };
  const [command, args, input] = runtime === "deno"
    ? [denoPath(), ["run", "-A", script, "--child"], undefined]
    : runtime === "bun"
    ? ["bun", [script, "--child"], undefined]
    : [
      "node",
      [nzcScript],
      JSON.stringify({
        fixtures: {
          getData: hex(fixtures.getData),
          children: hex(fixtures.children),
          stat: hex(fixtures.stat),
        },
        options: TIMING,
      }),
    ];
  const out = spawnSync(command, args, { env, input, encoding: "utf8", maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`${runtime} run failed:\n${out.stderr}`);
  const line = out.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line);
}

function denoPath(): string {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return deno ? deno.execPath() : "deno";
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function duration(ns: number): string {
  return ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`;
}

function ratio(baseline: number, ours: number): string {
  return `${(baseline / ours).toFixed(1)}×`;
}

function parent(): void {
  const wanted = (process.env.RUNTIMES ?? "deno,bun,node").split(",") as Runtime[];
  const runs = Number(process.env.RUNS ?? 3);
  const fastest = process.env.STAT === "min";
  const byCpu = process.env.CLOCK === "cpu";
  const statistic = byCpu
    ? (fastest ? "cpuMinNs" : "cpuMedianNs")
    : (fastest ? "minNs" : "medianNs");
  const nzcDir = nzcDirectory();
  if (!nzcDir) throw new Error("npm could not install node-zookeeper-client");
  const runtimes = wanted.filter((runtime) => {
    const present = runtime === "deno" || succeeds(runtime, ["--version"]);
    if (!present) console.error(`(${runtime} left out: not on PATH)`);
    return present;
  });
  const fixtures = codecFixtures();
  const results = new Map<Runtime, RunResult[]>(runtimes.map((r) => [r, []]));
  for (let i = 0; i < runs; i++) {
    const order = runtimes.map((_, k) => runtimes[(k + i) % runtimes.length]);
    for (const runtime of order) {
      console.error(`run ${i + 1}/${runs}: ${runtime}`);
      results.get(runtime)!.push(run(runtime, nzcDir, fixtures));
    }
  }
  const medianOf = (runtime: Runtime, side: "ours" | "nzc", group: CodecGroup): number =>
    median(results.get(runtime)!.map((r) => r[side]![group][statistic]));

  const header = ["case", ...runtimes.map((r) => RUNTIME_NAMES[r])];
  const rows = CODEC_GROUPS.map((group) => {
    const cells = runtimes.map((runtime) => {
      const nzc = medianOf(runtime, "nzc", group);
      if (runtime === "node") {
        const against = runtimes.filter((r) => r !== "node")
          .map((r) => `${RUNTIME_NAMES[r]} ${ratio(nzc, medianOf(r, "ours", group))}`);
        return [duration(nzc), ...against].join(" · ");
      }
      const ours = medianOf(runtime, "ours", group);
      return `${duration(ours)} · nzc ${duration(nzc)} · ${ratio(nzc, ours)}`;
    });
    return [group, ...cells];
  });
  console.log(
    `\ncodec: ${byCpu ? "process CPU time" : "time"} per call, median of ${runs} runs ` +
      `(each the ${fastest ? "fastest" : "median"} of ${TIMING.rounds} rounds).`,
  );
  console.log(
    "Deno and Bun: ours · nzc in the same process · how many times faster ours is.",
  );
  if (runtimes.includes("node")) {
    console.log("nzc on Node: nzc's time there · how many times faster ours is in each runtime.");
  }
  console.log();
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map(() => "---").join(" | ")} |`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

if (process.argv.includes("--child")) {
  const dir = process.env.NZC_DIR;
  if (!dir) throw new Error("NZC_DIR names node_modules with node-zookeeper-client");
  child(dir);
} else {
  parent();
}

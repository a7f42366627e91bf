/**
 * Client CPU and throughput measured the way each client's users run it:
 * every client in a process of its own, under its own runtime, against one
 * local server, the runs alternating (round-robin, order rotated each round):
 *
 * - @zk/client under Deno and under Bun (`compare/worker_zk.ts`);
 * - node-zookeeper-client (nzc) under Node (`compare/worker_nzc.mjs`,
 *   installed with npm into a temporary directory on first use);
 * - the ZooKeeper Java client from Debian's jars (`compare/Worker.java`);
 * - kazoo under /usr/bin/python3 (`compare/worker_kazoo.py`).
 *
 * Workloads: `get` with 1,000 in flight at 100 B and at 1 KiB, and sequential
 * `get`. Each worker reads its own process's user and system CPU around the
 * measured section only (after a warm-up) and prints JSON; this prints one
 * table of medians with the spread (min–max) and ratios to nzc. Workers say
 * `begin` and `end` around that section, and the runner reads the local
 * server's own CPU (`/proc`) at both, so the table also shows the server's
 * CPU per op and the throughput the machine could reach: where the server
 * costs more per op than the client, the server is what bounds throughput.
 *
 * ```sh
 * deno run -A bench/compare.ts            # ROUNDS=5 OPS=30000 CLIENTS=deno,bun,nzc
 * ```
 *
 * `ZK_HOSTS` names a server to use instead of starting one through the
 * harness. Clients whose runtime is missing are left out with a note.
 *
 * @module
 */

import { connect } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { nzcDirectory } from "./nzc_install.ts";

/** One worker's JSON line. */
interface Sample {
  ops: number;
  wallMs: number;
  userUs: number;
  sysUs: number;
  /** The server's user and system CPU over the same section (a local server only). */
  serverUs?: number;
}

interface Client {
  name: string;
  command(hosts: string, workload: string, path: string, ops: number): string[];
  env?: Record<string, string>;
  /** Fewer ops for slow clients (their per-op figures stay comparable). */
  scale: number;
}

interface Workload {
  name: string;
  kind: "pipelined" | "sequential";
  path: string;
  ops: number;
}

const here = new URL("./compare/", import.meta.url).pathname;
const rounds = Number(Deno.env.get("ROUNDS") ?? 3);
const pipelinedOps = Number(Deno.env.get("OPS") ?? 30_000);
const wanted = (Deno.env.get("CLIENTS") ?? "deno,bun,nzc,java,kazoo").split(",");

async function has(command: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function clients(): Promise<Client[]> {
  const list: Client[] = [];
  const skip = (name: string, why: string) => console.error(`(${name} left out: ${why})`);
  const args = (hosts: string, workload: string, path: string, ops: number) => [
    hosts,
    workload,
    path,
    String(ops),
  ];
  if (wanted.includes("deno")) {
    list.push({
      name: "@zk/client (Deno)",
      command: (...a) => [Deno.execPath(), "run", "-A", `${here}worker_zk.ts`, ...args(...a)],
      scale: 1,
    });
  }
  if (wanted.includes("bun")) {
    if (await has("bun", ["--version"])) {
      list.push({
        name: "@zk/client (Bun)",
        command: (...a) => ["bun", `${here}worker_zk.ts`, ...args(...a)],
        scale: 1,
      });
    } else skip("bun", "no bun on PATH");
  }
  if (wanted.includes("nzc")) {
    const dir = await has("node", ["--version"]) ? nzcDirectory() : undefined;
    if (dir) {
      list.push({
        name: "nzc (Node)",
        command: (...a) => ["node", `${here}worker_nzc.mjs`, ...args(...a)],
        env: { NZC_DIR: dir },
        scale: 1,
      });
    } else skip("nzc", "no node, or npm could not install node-zookeeper-client");
  }
  if (wanted.includes("java")) {
    const jars = ["zookeeper", "zookeeper-jute", "slf4j-api", "slf4j-nop"]
      .map((j) => `/usr/share/java/${j}.jar`);
    const present = await Promise.all(jars.map((j) => Deno.stat(j).then(() => true, () => false)));
    if (present.every(Boolean) && await has("java", ["-version"])) {
      list.push({
        name: "Java client",
        command: (...a) => ["java", "-cp", jars.join(":"), `${here}Worker.java`, ...args(...a)],
        scale: 1,
      });
    } else skip("java", "no java or no ZooKeeper jars in /usr/share/java");
  }
  if (wanted.includes("kazoo")) {
    if (await has("/usr/bin/python3", ["-c", "import kazoo"])) {
      list.push({
        name: "kazoo (CPython)",
        command: (...a) => ["/usr/bin/python3", `${here}worker_kazoo.py`, ...args(...a)],
        scale: 0.2,
      });
    } else skip("kazoo", "/usr/bin/python3 cannot import kazoo");
  }
  return list;
}

/** A process's user plus system CPU so far, in µs, from `/proc` (Linux); undefined elsewhere. */
function processCpuUs(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1e6 / CLOCK_TICKS);
  } catch {
    return undefined;
  }
}

/** `USER_HZ`: Linux reports CPU times in these ticks (100 on every common build). */
const CLOCK_TICKS = 100;

/**
 * Runs one worker. Its stdout says `begin` and `end` around the measured
 * section: the server's own CPU is read at those two moments, so its figure
 * covers the same operations as the client's.
 */
async function runWorker(
  client: Client,
  hosts: string,
  workload: Workload,
  serverPid: number | undefined,
): Promise<Sample> {
  const ops = Math.max(1000, Math.round(workload.ops * client.scale));
  const [command, ...args] = client.command(hosts, workload.kind, workload.path, ops);
  const child = new Deno.Command(command, {
    args,
    env: client.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(child.stderr).text();
  let serverBegin: number | undefined;
  let serverUs: number | undefined;
  let last = "";
  let buffered = "";
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
      if (line === "begin" && serverPid !== undefined) serverBegin = processCpuUs(serverPid);
      else if (line === "end" && serverBegin !== undefined) {
        const now = processCpuUs(serverPid!);
        if (now !== undefined) serverUs = now - serverBegin;
      } else last = line;
    }
  }
  if (buffered.trim()) last = buffered.trim();
  const status = await child.status;
  if (!status.success || !last.startsWith("{")) {
    throw new Error(`${client.name} ${workload.name} failed: ${await errors}`);
  }
  await errors;
  return { ...(JSON.parse(last) as Sample), serverUs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const spread = (values: number[], digits = 1) =>
  `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;

let cluster: ZooKeeperCluster | undefined;
let hosts = Deno.env.get("ZK_HOSTS");
if (!hosts) {
  // A server as production runs it: the harness's test JVMs stop at the
  // C1 compiler (they start faster), which would inflate the server's CPU per op.
  cluster = await ZooKeeperCluster.start({
    freePorts: true,
    jvmOptions: ["-XX:TieredStopAtLevel=4", "-Xmx1g"],
  });
  hosts = cluster.connectionString();
}
const serverPid = cluster?.members[0].pid;
try {
  const root = "/zk-client-bench-compare";
  const setup = await connect(hosts);
  await setup.ensurePath(root);
  for (const [name, size] of [["d100", 100], ["d1k", 1024]] as const) {
    await setup.delete(`${root}/${name}`).catch(() => {});
    await setup.create(`${root}/${name}`, new Uint8Array(size).fill(120));
  }
  await setup.close();

  const workloads: Workload[] = [
    { name: "pipelined get, 100 B", kind: "pipelined", path: `${root}/d100`, ops: pipelinedOps },
    { name: "pipelined get, 1 KiB", kind: "pipelined", path: `${root}/d1k`, ops: pipelinedOps },
    {
      name: "sequential get, 100 B",
      kind: "sequential",
      path: `${root}/d100`,
      ops: Math.round(pipelinedOps / 10),
    },
  ];
  const list = await clients();
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      for (let i = 0; i < list.length; i++) {
        const client = list[(i + round) % list.length];
        const sample = await runWorker(client, hosts, workload, serverPid);
        const key = `${workload.name}|${client.name}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
    console.error(`round ${round + 1}/${rounds} done`);
  }

  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, ` +
      `${rounds} alternating rounds; medians (min–max)\n`,
  );
  console.log(
    "| workload | client | ops/s | CPU µs/op (user+sys) | user µs/op | CPU vs nzc | ops/s vs nzc " +
      "| server CPU µs/op | server cores busy | ops/s ceiling |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const workload of workloads) {
    const figures = (name: string) => {
      const s = samples.get(`${workload.name}|${name}`);
      if (!s) return undefined;
      const rate = s.map((x) => x.ops / (x.wallMs / 1000));
      const cpu = s.map((x) => (x.userUs + x.sysUs) / x.ops);
      const user = s.map((x) => x.userUs / x.ops);
      const measured = s.filter((x) => x.serverUs !== undefined);
      const server = measured.map((x) => x.serverUs! / x.ops);
      const busy = measured.map((x) => x.serverUs! / (x.wallMs * 1000));
      return { rate, cpu, user, server, busy };
    };
    const base = figures("nzc (Node)");
    for (const client of list) {
      const f = figures(client.name)!;
      const cpuRatio = base ? `${fmt(median(f.cpu) / median(base.cpu), 2)}×` : "—";
      const rateRatio = base ? `${fmt(median(f.rate) / median(base.rate), 2)}×` : "—";
      const server = f.server.length ? `${fmt(median(f.server))} (${spread(f.server)})` : "—";
      const busy = f.busy.length ? `${fmt(median(f.busy), 2)} (${spread(f.busy, 2)})` : "—";
      // What the machine could do if client and server had every core to themselves.
      const ceiling = f.server.length
        ? fmt(navigator.hardwareConcurrency * 1e6 / (median(f.cpu) + median(f.server)), 0)
        : "—";
      console.log(
        `| ${workload.name} | ${client.name} | ${fmt(median(f.rate), 0)} (${spread(f.rate, 0)}) | ${
          fmt(median(f.cpu))
        } (${spread(f.cpu)}) | ${fmt(median(f.user))} (${
          spread(f.user)
        }) | ${cpuRatio} | ${rateRatio} | ${server} | ${busy} | ${ceiling} |`,
      );
    }
  }
  console.log(
    "\nserver cores busy: the server's CPU over the measured section divided by its wall time. " +
      `ops/s ceiling: ${navigator.hardwareConcurrency} cores divided by the client's plus the ` +
      "server's CPU per op, what this machine could serve with nothing else running; where the " +
      "server's share is the larger, the server, not the client, bounds the throughput.",
  );
} finally {
  await cluster?.stop();
}

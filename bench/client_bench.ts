/**
 * Client throughput and CPU cost against a real server, this client versus
 * `node-zookeeper-client` doing the same work in the same process:
 * sequential `get` latency, 1,000 pipelined `get`s and 1,000 pipelined
 * sequential `create`s per iteration.
 *
 * `deno bench -A bench/client_bench.ts` (uses `ZK_HOSTS` when set, else
 * starts a server through the harness). Besides `deno bench`'s table it
 * prints ops/s, the ratio to the baseline, and client CPU time per 1,000
 * ops measured with `process.cpuUsage()` around each benchmark (the server
 * is another process, so this is the client's own cost).
 *
 * @module
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import nzk from "npm:node-zookeeper-client@1.1.3";
import { connect, type ZooKeeperClient } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

interface NzkClient {
  connect(): void;
  close(): void;
  once(event: string, listener: () => void): void;
  getData(path: string, cb: (error: Error | null, data: Buffer, stat: unknown) => void): void;
  create(
    path: string,
    data: Buffer,
    mode: number,
    cb: (error: Error | null, path: string) => void,
  ): void;
  mkdirp(path: string, cb: (error: Error | null) => void): void;
}
interface NzkModule {
  createClient(hosts: string, options?: Record<string, unknown>): NzkClient;
  CreateMode: { EPHEMERAL_SEQUENTIAL: number };
}
const nzkModule = nzk as unknown as NzkModule;

let cluster: ZooKeeperCluster | undefined;
let hosts = Deno.env.get("ZK_HOSTS");
if (!hosts) {
  cluster = await ZooKeeperCluster.start({ freePorts: true });
  hosts = cluster.connectionString();
}
const root = `/bench-${Date.now().toString(36)}`;
const ours: ZooKeeperClient = await connect(hosts, { sessionTimeout: 30_000 });
await ours.create(`${root}/data`, new Uint8Array(100), { makeParents: true });
await ours.ensurePath(`${root}/ours`);
await ours.ensurePath(`${root}/theirs`);

const theirs: NzkClient = nzkModule.createClient(hosts, { sessionTimeout: 30_000 });
await new Promise<void>((resolve) => {
  theirs.once("connected", resolve);
  theirs.connect();
});

function theirGet(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    theirs.getData(path, (error, data) => error ? reject(error) : resolve(data))
  );
}
function theirCreate(path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    theirs.create(
      path,
      Buffer.from("x"),
      nzkModule.CreateMode.EPHEMERAL_SEQUENTIAL,
      (error, created) => error ? reject(error) : resolve(created),
    )
  );
}

/** CPU microseconds and ops per benchmark, for the summary. */
const cost = new Map<string, { cpu: number; ops: number; wall: number }>();
function measured(name: string, opsPerCall: number, fn: () => Promise<unknown>) {
  return async () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await fn();
    const used = process.cpuUsage(cpu);
    const entry = cost.get(name) ?? { cpu: 0, ops: 0, wall: 0 };
    entry.cpu += used.user + used.system;
    entry.ops += opsPerCall;
    entry.wall += performance.now() - started;
    cost.set(name, entry);
  };
}

const dataPath = `${root}/data`;
const PIPELINE = 1000;
const heavy = { n: 30, warmup: 5 };

Deno.bench({
  name: "node-zookeeper-client: sequential get",
  group: "sequential get",
  baseline: true,
  fn: measured("theirs sequential get", 1, () => theirGet(dataPath)),
});
Deno.bench({
  name: "@zk/client: sequential get",
  group: "sequential get",
  fn: measured("ours sequential get", 1, () => ours.get(dataPath)),
});

Deno.bench({
  name: "node-zookeeper-client: 1,000 pipelined gets",
  group: "pipelined get",
  baseline: true,
  ...heavy,
  fn: measured(
    "theirs pipelined get",
    PIPELINE,
    () => Promise.all(Array.from({ length: PIPELINE }, () => theirGet(dataPath))),
  ),
});
Deno.bench({
  name: "@zk/client: 1,000 pipelined gets",
  group: "pipelined get",
  ...heavy,
  fn: measured(
    "ours pipelined get",
    PIPELINE,
    () => Promise.all(Array.from({ length: PIPELINE }, () => ours.get(dataPath))),
  ),
});

Deno.bench({
  name: "node-zookeeper-client: 1,000 pipelined sequential creates",
  group: "pipelined create",
  baseline: true,
  ...heavy,
  fn: measured(
    "theirs pipelined create",
    PIPELINE,
    () => Promise.all(Array.from({ length: PIPELINE }, () => theirCreate(`${root}/theirs/n-`))),
  ),
});
Deno.bench({
  name: "@zk/client: 1,000 pipelined sequential creates",
  group: "pipelined create",
  ...heavy,
  fn: measured(
    "ours pipelined create",
    PIPELINE,
    () =>
      Promise.all(
        Array.from(
          { length: PIPELINE },
          () => ours.create(`${root}/ours/n-`, "x", { sequential: true, ephemeral: true }),
        ),
      ),
  ),
});

globalThis.addEventListener("unload", () => {
  const rows: string[] = [];
  for (const kind of ["sequential get", "pipelined get", "pipelined create"]) {
    const o = cost.get(`ours ${kind}`);
    const t = cost.get(`theirs ${kind}`);
    if (!o || !t) continue;
    const oursRate = o.ops / (o.wall / 1000);
    const theirRate = t.ops / (t.wall / 1000);
    // CPU µs per op is CPU ms per 1,000 ops.
    const oursCpu = o.cpu / o.ops;
    const theirCpu = t.cpu / t.ops;
    rows.push(
      `${kind.padEnd(17)} | ${oursRate.toFixed(0).padStart(8)} | ${
        theirRate.toFixed(0).padStart(8)
      } | ` +
        `${(oursRate / theirRate).toFixed(2).padStart(5)}x | ${oursCpu.toFixed(1).padStart(7)} | ` +
        `${theirCpu.toFixed(1).padStart(7)} | ${(theirCpu / oursCpu).toFixed(2).padStart(5)}x`,
    );
  }
  console.log(
    "\nkind              |  ours/s  | theirs/s | ratio | our CPU ms/1k | their CPU ms/1k | CPU ratio",
  );
  for (const row of rows) console.log(row);
  // Closing sends closeSession; the harness kills its server on exit.
  theirs.close();
});

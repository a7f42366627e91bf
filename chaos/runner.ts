/**
 * The chaos run: an ensemble (or the user's), worker processes running the
 * workloads through fault proxies, a nemesis, an observer of ephemeral
 * nodes; then every checker on what was recorded.
 *
 * @module
 */

import { connect, Counter, NoNodeError, Queue, type ZooKeeperClient } from "../mod.ts";
import { FaultProxy, scanServerLog, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { formatHistory, type HistoryEvent, parseHistory } from "./history.ts";
import { checkOperations, type CheckResult } from "./linearizability.ts";
import {
  attributeToServer,
  checkCounter,
  checkEphemerals,
  checkLock,
  checkQueue,
  checkServer,
  checkTreeCache,
  type EphemeralObservation,
  type MemberIntegrity,
  serverLossTime,
  type WorkloadVerdict,
} from "./checkers.ts";
import { type FaultKind, type FaultRecord, runNemesis } from "./nemesis.ts";
import {
  type CounterRecord,
  type EphemeralRecord,
  type LockRecord,
  now,
  type OpRecord,
  type QueueRecord,
  type StateRecord,
  type TreeEventRecord,
  type TreeFinalRecord,
  type TreeWriteRecord,
  type WorkerCommand,
  type WorkerRecord,
  workloadPaths,
} from "./records.ts";
import { seededRandom } from "./random.ts";
import { pause, registerKeys } from "./workloads.ts";
import type { WorkerConfig } from "./worker.ts";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  /** Workload time, ms. */
  durationMs: number;
  /** Ensemble size when the runner starts one (3 or 5). */
  members: number;
  /** An existing ensemble: workloads only, no nemesis. */
  hosts?: string;
  seed: number;
  /** Worker processes (default 3). */
  workers: number;
  /** Register keys (default 5). */
  keys: number;
  /** Register loops per worker (default 2). */
  registerThreads: number;
  /** Workers that take from the queue, the first ones (default all). */
  queueConsumers: number;
  /** Session timeout asked by workers, ms. */
  sessionTimeout: number;
  /**
   * How long an ephemeral may outlive its owner's LOST before it counts as
   * a zombie, ms (default the session timeout).
   */
  lostGraceMs?: number;
  /** Fault kinds (default all). */
  faultKinds?: readonly FaultKind[];
  /** Faults at once (default 2). */
  maxConcurrentFaults: number;
  /** Where the history and report go. */
  outDir: string;
  /** Progress lines go here. */
  log: (line: string) => void;
}

/** Everything a run recorded and concluded. */
export interface ChaosRun {
  options: ChaosOptions;
  root: string;
  start: number;
  end: number;
  /** When the workload phase ended (faults healed after it). */
  workloadEnd: number;
  records: WorkerRecord[];
  faults: FaultRecord[];
  registers: CheckResult;
  verdicts: WorkloadVerdict[];
  /** Problems of the run itself (a worker that died, a final read that failed). */
  errors: string[];
  /**
   * When a member first reported losing committed transactions (ZooKeeper's
   * own log checks), if one did: anomalies from then on may be the server's.
   */
  serverLossAt?: number;
}

/** Slack added before an invocation when ordering events of different processes, ms. */
const ORDER_SLACK_MS = 2;

/**
 * Orders register events of all workers into one history: by time, each
 * invocation moved `ORDER_SLACK_MS` earlier (never before its own process's
 * previous completion) so clock jitter between processes can only make ops
 * look concurrent, never ordered.
 */
export function mergeRegisterHistory(ops: readonly OpRecord[]): HistoryEvent[] {
  const lastCompletion = new Map<number, number>();
  const keyed = ops.map((op, index) => {
    let sortKey = op.time;
    if (op.type === "invoke") {
      // Strictly after its own previous completion (ties would put it first).
      const previous = lastCompletion.get(op.process) ?? -Infinity;
      sortKey = Math.max(op.time - ORDER_SLACK_MS, previous + 0.01);
    } else {
      lastCompletion.set(op.process, op.time);
    }
    return { op, sortKey, index };
  });
  keyed.sort((a, b) =>
    a.sortKey - b.sortKey ||
    (a.op.type === "invoke" ? 0 : 1) - (b.op.type === "invoke" ? 0 : 1) ||
    a.index - b.index
  );
  return keyed.map(({ op }) => {
    const { t: _, ...event } = op;
    return event;
  });
}

async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== "") onLine(line);
    }
  }
  if (buffered.trim() !== "") onLine(buffered);
}

interface WorkerHandle {
  index: number;
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  done: Promise<void>;
  finished: boolean;
  stderr: string[];
}

function spawnWorker(
  config: WorkerConfig,
  onRecord: (record: WorkerRecord) => void,
): WorkerHandle {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./worker.ts", import.meta.url).pathname, JSON.stringify(config)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const handle: WorkerHandle = {
    index: config.worker,
    child,
    stdin: child.stdin.getWriter(),
    done: Promise.resolve(),
    finished: false,
    stderr: [],
  };
  const stdout = readLines(child.stdout, (line) => {
    let record: WorkerRecord;
    try {
      record = JSON.parse(line);
    } catch {
      handle.stderr.push(`(stdout) ${line}`);
      return;
    }
    if (record.t === "done") handle.finished = true;
    onRecord(record);
  });
  const stderr = readLines(child.stderr, (line) => handle.stderr.push(line));
  handle.done = Promise.all([stdout, stderr, child.status]).then(() => {});
  return handle;
}

function send(worker: WorkerHandle, command: WorkerCommand): void {
  worker.stdin.write(new TextEncoder().encode(JSON.stringify(command) + "\n")).catch(() => {});
}

async function createTree(zk: ZooKeeperClient, root: string, keys: number): Promise<void> {
  const paths = workloadPaths(root);
  await zk.create(root, "", { makeParents: true });
  for (const dir of [paths.registers, paths.lock, paths.ephemerals, paths.tree]) {
    await zk.create(dir, "");
  }
  for (const key of registerKeys(keys)) await zk.create(`${paths.registers}/${key}`, "");
}

/** Reads the ephemeral names now (after a sync), with the read's window. */
async function observeEphemerals(
  zk: ZooKeeperClient,
  dir: string,
): Promise<EphemeralObservation> {
  const start = now();
  const signal = AbortSignal.timeout(5_000);
  await zk.sync(dir, { signal });
  const names = await zk.getChildren(dir, { signal });
  return { start, end: now(), names };
}

/** Runs the whole thing; never throws for an anomaly (that is a result). */
export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const log = options.log;
  const random = seededRandom(options.seed);
  let start = now();
  const root = `/chaos-${options.seed}-${Math.floor(start)}`;
  const errors: string[] = [];
  const records: WorkerRecord[] = [];
  let cluster: ZooKeeperCluster | undefined;
  const proxies: FaultProxy[][] = [];
  const workers: WorkerHandle[] = [];
  let admin: ZooKeeperClient | undefined;
  let faults: FaultRecord[] = [];
  let workloadEnd = start;
  const observations: EphemeralObservation[] = [];
  let leftAtEnd: string[] = [];
  const remainingItems: string[] = [];
  let finalCounter = NaN;
  let serverIntegrity: MemberIntegrity[] | undefined;
  try {
    let direct: string;
    if (options.hosts === undefined) {
      log(`starting a ${options.members}-member ensemble`);
      cluster = await ZooKeeperCluster.start({ size: options.members, freePorts: true });
      direct = cluster.connectionString();
      for (let w = 0; w < options.workers; w++) {
        proxies.push(
          await Promise.all(cluster.members.map((m) => FaultProxy.start(m.address))),
        );
      }
    } else {
      direct = options.hosts;
    }
    admin = await connect(direct, { sessionTimeout: 10_000 });
    await createTree(admin, root, options.keys);
    log(`root ${root}; starting ${options.workers} workers`);
    start = now();

    // Where each worker is connected, from its state records (proxy -> member).
    const memberOfProxy = new Map<string, number>();
    proxies.forEach((row) => row.forEach((proxy, m) => memberOfProxy.set(proxy.address, m)));
    const connectedTo = new Map<number, number>();
    const onRecord = (record: WorkerRecord) => {
      records.push(record);
      if (record.t === "state" && record.address !== null) {
        const member = memberOfProxy.get(record.address);
        if (member !== undefined) connectedTo.set(record.worker, member);
      }
      if (record.t === "log") log(`worker ${record.worker}: ${record.message}`);
    };
    for (let w = 0; w < options.workers; w++) {
      workers.push(spawnWorker({
        worker: w,
        hosts: proxies.length > 0 ? proxies[w].map((p) => p.address).join(",") : direct,
        root,
        keys: options.keys,
        seed: options.seed,
        treeCache: w === 0,
        sessionTimeout: options.sessionTimeout,
        registerThreads: options.registerThreads,
        queueConsumer: w < options.queueConsumers,
      }, onRecord));
    }

    const stopWorkload = new AbortController();
    const nemesis = cluster === undefined ? Promise.resolve([]) : runNemesis({
      cluster,
      proxies,
      memberOf: (worker) => connectedTo.get(worker),
      expire: (worker, address) => send(workers[worker], { cmd: "expire", address }),
    }, {
      random,
      signal: stopWorkload.signal,
      kinds: options.faultKinds,
      maxConcurrent: options.maxConcurrentFaults,
      onFault: (fault) =>
        log(
          fault.end === null
            ? `fault: ${fault.kind} ${fault.target}`
            : fault.end === fault.start
            ? `fault: ${fault.kind} ${fault.target}`
            : `healed: ${fault.kind} ${fault.target}${fault.error ? ` (${fault.error})` : ""}`,
        ),
    });
    const observer = (async () => {
      while (!stopWorkload.signal.aborted) {
        try {
          observations.push(await observeEphemerals(admin!, workloadPaths(root).ephemerals));
        } catch {
          // A fault in the way: the next look will do.
        }
        await pause(250, stopWorkload.signal);
      }
    })();

    const progress = setInterval(() => {
      const ops = records.filter((r) => r.t === "op" && r.type !== "invoke").length;
      log(
        `${((now() - start) / 1000).toFixed(0)} s: ${ops} register ops, ${records.length} records`,
      );
    }, 15_000);
    try {
      await pause(options.durationMs);
    } finally {
      clearInterval(progress);
    }
    workloadEnd = now();
    log("workload time is up: healing every fault");
    stopWorkload.abort();
    faults = await nemesis;
    await observer;
    if (cluster !== undefined) {
      for (const member of cluster.members) {
        if (!member.running) await member.start({ timeout: 120_000 });
        else if (member.paused) member.resume();
      }
      await cluster.waitUntilServing({ timeout: 120_000 });
      for (const row of proxies) {
        for (const proxy of row) {
          proxy.pass();
          proxy.accept();
        }
      }
    }
    log("stopping the workers");
    for (const worker of workers) send(worker, { cmd: "stop" });
    const stopDeadline = AbortSignal.timeout(120_000);
    await Promise.race([
      Promise.all(workers.map((w) => w.done)),
      new Promise((resolve) => stopDeadline.addEventListener("abort", resolve)),
    ]);
    for (const worker of workers) {
      if (!worker.finished) {
        errors.push(
          `worker ${worker.index} did not finish cleanly; its stderr:\n${
            worker.stderr.slice(-20).join("\n")
          }`,
        );
      }
    }

    // Final reads, with no fault in the way.
    const paths = workloadPaths(root);
    const queue = new Queue(admin, paths.queue);
    for (;;) {
      const data = await queue.get();
      if (data === null) break;
      remainingItems.push(new TextDecoder().decode(data));
    }
    finalCounter = await new Counter(admin, paths.counter).get();
    // Closed sessions take their ephemerals with them; give the close a moment.
    const closedBy = now() + 10_000;
    do {
      leftAtEnd = (await observeEphemerals(admin, paths.ephemerals)).names;
      if (leftAtEnd.length === 0) break;
      await pause(200);
    } while (now() < closedBy);
  } catch (error) {
    errors.push(`the run failed: ${error instanceof Error ? error.stack : error}`);
  } finally {
    for (const worker of workers) {
      if (!worker.finished) {
        try {
          worker.child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await worker.stdin.close().catch(() => {});
      await worker.done.catch(() => {});
    }
    if (admin !== undefined) {
      try {
        await admin.delete(root, { recursive: true });
      } catch (error) {
        if (!(error instanceof NoNodeError)) errors.push(`cleaning up ${root}: ${error}`);
      }
      await admin.close();
    }
    for (const row of proxies) for (const proxy of row) await proxy.close();
    if (cluster !== undefined) {
      // Before the members' folders go: ZooKeeper's own integrity reports.
      try {
        serverIntegrity = await Promise.all(cluster.members.map(async (m) => ({
          member: m.index,
          id: m.id,
          reports: scanServerLog(await m.logs()),
        })));
      } catch (error) {
        errors.push(`reading the members' logs: ${error}`);
      }
    }
    await cluster?.stop();
  }

  const saved: SavedRun = {
    options: { ...options, log: undefined },
    root,
    start,
    end: now(),
    workloadEnd,
    faults,
    observations,
    remainingItems,
    finalCounter,
    leftAtEnd,
    errors,
    serverIntegrity,
  };
  await Deno.mkdir(options.outDir, { recursive: true });
  await Deno.writeTextFile(
    `${options.outDir}/records.jsonl`,
    records.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  await Deno.writeTextFile(`${options.outDir}/run.json`, JSON.stringify(saved));
  log("checking");
  return await checkRun(saved, records, options);
}

/** What a run read and decided besides the workers' records: `run.json` in its folder. */
export interface SavedRun {
  options: Omit<ChaosOptions, "log"> & { log?: undefined };
  root: string;
  start: number;
  end: number;
  workloadEnd: number;
  faults: FaultRecord[];
  observations: EphemeralObservation[];
  remainingItems: string[];
  finalCounter: number;
  leftAtEnd: string[];
  errors: string[];
  /** Each member's integrity reports (absent with `--hosts`, and in older runs). */
  serverIntegrity?: MemberIntegrity[];
}

/** Runs every checker on a run's records; writes `history.jsonl` to the run's folder. */
export async function checkRun(
  saved: SavedRun,
  records: WorkerRecord[],
  options: ChaosOptions,
): Promise<ChaosRun> {
  const of = <T extends WorkerRecord["t"]>(t: T) =>
    records.filter((r): r is Extract<WorkerRecord, { t: T }> => r.t === t);
  const history = mergeRegisterHistory(of("op"));
  await Deno.writeTextFile(`${options.outDir}/history.jsonl`, formatHistory(history));
  const registers = history.length === 0
    ? checkOperations([])
    : checkOperations(parseHistory(formatHistory(history)), { timeoutMs: 120_000 });
  const verdicts: WorkloadVerdict[] = [
    checkLock(of("lock") as LockRecord[]),
    checkQueue(of("queue") as QueueRecord[], saved.remainingItems),
    checkCounter(of("counter") as CounterRecord[], saved.finalCounter),
    checkEphemerals(
      of("state") as StateRecord[],
      of("ephemeral") as EphemeralRecord[],
      saved.observations,
      saved.leftAtEnd,
      saved.options.lostGraceMs ?? saved.options.sessionTimeout,
    ),
    checkTreeCache(
      workloadPaths(saved.root).tree,
      of("tree-write") as TreeWriteRecord[],
      of("tree-event") as TreeEventRecord[],
      of("tree-final") as TreeFinalRecord[],
    ),
  ];
  const server = checkServer(saved.serverIntegrity);
  const serverLossAt = serverLossTime(saved.serverIntegrity);
  return {
    options,
    root: saved.root,
    start: saved.start,
    end: saved.end,
    workloadEnd: saved.workloadEnd,
    records,
    faults: saved.faults,
    registers,
    verdicts: [...attributeToServer(verdicts, serverLossAt), server],
    errors: saved.errors,
    serverLossAt,
  };
}

/** Loads a run's folder (`run.json`, `records.jsonl`) and checks it again. */
export async function recheckRun(dir: string, log: (line: string) => void): Promise<ChaosRun> {
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as SavedRun;
  const records = (await Deno.readTextFile(`${dir}/records.jsonl`)).split("\n")
    .filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as WorkerRecord);
  return await checkRun(saved, records, { ...saved.options, outDir: dir, log });
}

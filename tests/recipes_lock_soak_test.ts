/**
 * A contended lock soak under faults (issue 13): @zk/client clients and kazoo
 * processes take one lock again and again while a nemesis kills and pauses
 * the members they are connected to, cuts their connections at a
 * FaultProxy, and expires a session. Every holder appends its holds to one
 * log file (O_APPEND: the file orders the events of all processes):
 * `acquire`, then `release` before the node is deleted, or `abort` as soon as
 * the ownership signal aborts (kazoo: the state listener sees SUSPENDED or
 * LOST). An overlap is an `acquire` while another hold is open. Goal: 0.
 *
 * Short by default (for CI); the full run takes the lock at least 1,000
 * times: `ZK_LOCK_SOAK_HOLDS=1000 deno test -A tests/recipes_lock_soak_test.ts`.
 */
import assert from "node:assert/strict";
import { connect, type ZooKeeperClient } from "../mod.ts";
import { expireSession, FaultProxy, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { sleep } from "../lib/abort.ts";
import { Lock } from "../recipes/lock.ts";
import { kazooMissing, KazooProcess } from "./kazoo_process.ts";

const HOLDS = Number(Deno.env.get("ZK_LOCK_SOAK_HOLDS") ?? "120");
const OUR_CLIENTS = 3;
const KAZOO_CLIENTS = 2;
const FAULTS = ["cut", "kill", "pause", "expire"] as const;
type Fault = typeof FAULTS[number];

if (kazooMissing) console.warn(`the lock soak runs without kazoo (${kazooMissing})`);

/** Appends one line per write(2) to the shared log. */
class HoldLog {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  constructor(readonly path: string) {
    this.#file = Deno.openSync(path, { append: true, create: true });
  }
  write(line: string): void {
    this.#file.writeSync(this.#encoder.encode(`${line}\n`));
  }
  close(): void {
    this.#file.close();
  }
}

/** Counts the acquires made while another hold was open, and the holds. */
function checkLog(text: string): { holds: number; valid: number; overlaps: string[] } {
  const open = new Set<string>();
  const overlaps: string[] = [];
  let holds = 0;
  let aborted = 0;
  for (const line of text.split("\n")) {
    const [what, hold] = line.split(" ");
    if (what === "acquire") {
      holds++;
      if (open.size > 0) overlaps.push(`${hold} acquired while ${[...open].join(", ")} held`);
      open.add(hold);
    } else if (what === "release" || what === "abort") {
      if (what === "abort" && open.has(hold)) aborted++;
      open.delete(hold);
    }
  }
  return { holds, valid: holds - aborted, overlaps };
}

/** One of our clients taking the lock until `stop` aborts. */
async function ourWorker(
  zk: ZooKeeperClient,
  name: string,
  log: HoldLog,
  stop: AbortSignal,
  counts: { holds: number; errors: number },
): Promise<void> {
  let n = 0;
  while (!stop.aborted) {
    let handle;
    try {
      handle = await new Lock(zk, "/soak", name).acquire({ timeout: 10_000, signal: stop });
    } catch {
      if (stop.aborted) return;
      counts.errors++;
      await sleep(50, stop).catch(() => {});
      continue;
    }
    const hold = `${name}:${n++}`;
    counts.holds++;
    let open = true;
    const end = (what: string): void => {
      if (!open) return;
      open = false;
      log.write(`${what} ${hold}`);
    };
    log.write(`acquire ${hold}`);
    if (handle.signal.aborted) end("abort");
    else handle.signal.addEventListener("abort", () => end("abort"), { once: true });
    await sleep(Math.random() * 5);
    end("release"); // before the node goes: the next holder may come right after
    await handle.release().catch(() => counts.errors++);
  }
}

Deno.test({
  name: `a lock taken ${HOLDS}+ times under faults is never held twice`,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await using cluster = await ZooKeeperCluster.start({ size: 3, freePorts: true });
    const proxies = await Promise.all(
      cluster.members.map((m) => FaultProxy.start({ host: m.host, port: m.clientPort })),
    );
    const dir = await Deno.makeTempDir({ prefix: "zk-lock-soak-" });
    const log = new HoldLog(`${dir}/holds.log`);
    const hosts = proxies.map((p) => p.address).join(",");
    const zks: ZooKeeperClient[] = [];
    const kazoos: KazooProcess[] = [];
    const stop = new AbortController();
    const faults: Record<Fault, number> = { cut: 0, kill: 0, pause: 0, expire: 0 };
    const counts = { holds: 0, errors: 0 };
    try {
      {
        await using admin = await connect(cluster.connectionString());
        await admin.ensurePath("/soak");
      }
      for (let i = 0; i < OUR_CLIENTS; i++) {
        zks.push(await connect(hosts, { sessionTimeout: 4000 }));
      }
      if (!kazooMissing) {
        for (let i = 0; i < KAZOO_CLIENTS; i++) {
          const kazoo = new KazooProcess(
            "kzb_lock_soak.py",
            [hosts, "/soak", log.path, `kazoo${i}`],
            { stdin: true },
          );
          kazoos.push(kazoo);
          await kazoo.record("ready");
        }
      }
      const workers = zks.map((zk, i) => ourWorker(zk, `ours${i}`, log, stop.signal, counts));

      /** The member our client `zk` talks to, through its proxy. */
      const memberOf = (zk: ZooKeeperClient): number =>
        Math.max(0, proxies.findIndex((p) => p.address === zk.connectedAddress));
      const deadline = Date.now() + Math.max(120_000, HOLDS * 400);
      let round = 0;
      // At least one fault of each kind, and one fault per 50 holds.
      const rounds = Math.max(FAULTS.length, Math.ceil(HOLDS / 50));
      while (counts.holds < HOLDS || round < rounds) {
        assert.ok(Date.now() < deadline, `soak stuck: ${counts.holds} holds of ours`);
        await sleep(300 + Math.random() * 500);
        const fault = FAULTS[round++ % FAULTS.length];
        const victim = zks[Math.floor(Math.random() * zks.length)];
        const member = cluster.members[memberOf(victim)];
        if (fault === "cut") {
          await proxies[memberOf(victim)].cut();
        } else if (fault === "kill") {
          await member.kill();
          await sleep(500);
          await member.start();
        } else if (fault === "pause") {
          member.pause();
          await sleep(2500);
          member.resume();
        } else {
          await expireSession(victim, { cluster, timeout: 20_000 });
        }
        faults[fault]++;
      }
      stop.abort();
      await Promise.all(workers);
      const kazooCounts = { holds: 0, errors: 0 };
      for (const kazoo of kazoos) {
        await kazoo.send("stop");
        const finished = await kazoo.record("finished");
        kazooCounts.holds += finished.holds as number;
        kazooCounts.errors += finished.errors as number;
        await kazoo.done();
      }
      log.close();
      const result = checkLog(await Deno.readTextFile(log.path));
      console.log(
        `lock soak: ${result.holds} holds (${counts.holds} ours, ${kazooCounts.holds} kazoo's; ` +
          `${result.valid} with no aborted signal), faults ${JSON.stringify(faults)}, ` +
          `errors ours ${counts.errors} kazoo ${kazooCounts.errors}, ` +
          `overlaps ${result.overlaps.length}`,
      );
      assert.equal(result.holds, counts.holds + kazooCounts.holds, "every hold was logged");
      assert.ok(result.holds >= HOLDS);
      assert.deepEqual(result.overlaps, [], "no two holds at once");
    } finally {
      stop.abort();
      for (const kazoo of kazoos) await kazoo[Symbol.asyncDispose]();
      await Promise.all(zks.map((zk) => zk.close()));
      await Promise.all(proxies.map((p) => p.close()));
      try {
        log.close();
      } catch {
        // closed already
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

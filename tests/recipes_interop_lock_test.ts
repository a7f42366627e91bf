/**
 * Interoperability with kazoo itself (Debian's python3-kazoo, run with the
 * system python3): on the same paths, kazoo's Lock and ours exclude each
 * other, kazoo's Election and ours elect one leader at a time, semaphore
 * limits and leases are shared, and kazoo's WriteLock/ReadLock respect ours.
 *
 * Holders on both sides record wall-clock [enter, exit] intervals (Python's
 * `time.time()`, our `performance.timeOrigin + performance.now()`); each
 * hold lasts at least 20 ms, so the 2 ms allowed for clock reading hides no
 * real overlap.
 */
import assert from "node:assert/strict";
import { Lock, ReadLock, WriteLock } from "../recipes/lock.ts";
import { Election } from "../recipes/election.ts";
import { Semaphore } from "../recipes/semaphore.ts";
import { NonBlockingLease } from "../recipes/lease.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import {
  chrootedClients,
  closeAll,
  eventually,
  pythonImportError,
  uniqueChroot,
  within,
} from "./helpers.ts";
import { text } from "./bytes.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./interop/kazoo_locks.py", import.meta.url).pathname;
const SLACK = 2;

const missing = pythonImportError(PYTHON, "kazoo.client, kazoo.recipe.lease");
if (missing) {
  console.warn(
    `skipping the kazoo interop tests: ${PYTHON} cannot import kazoo (${missing}); ` +
      "install Debian's python3-kazoo",
  );
}

interface KazooRecord {
  event: string;
  enter?: number;
  exit?: number;
  at?: number;
  obtained?: boolean;
  acquired?: boolean;
  contenders?: string[];
}

/** A running kazoo_locks.py: its JSON records as they come, and its end. */
class Kazoo implements AsyncDisposable {
  readonly records: KazooRecord[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #reading: Promise<void>;
  readonly #stderr: Promise<string>;
  #waiters: (() => void)[] = [];

  constructor(
    hosts: string,
    command: string,
    path: string,
    id: string,
    ...args: (string | number)[]
  ) {
    const child = new Deno.Command(PYTHON, {
      args: [SCRIPT, hosts, command, path, id, ...args.map(String)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stderr = new Response(child.stderr).text();
    this.#reading = (async () => {
      let buffer = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let i;
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i).trim();
          buffer = buffer.slice(i + 1);
          if (line) this.records.push(JSON.parse(line));
          for (const w of this.#waiters.splice(0)) w();
        }
      }
      for (const w of this.#waiters.splice(0)) w();
    })();
  }

  /** The first record of `event`, waiting for it (up to `timeout` ms). */
  async next(event: string, timeout = 20_000): Promise<KazooRecord> {
    const deadline = performance.now() + timeout;
    while (true) {
      const found = this.records.find((r) => r.event === event);
      if (found) return found;
      if (performance.now() > deadline) {
        throw new Error(`kazoo said no "${event}" within ${timeout} ms: ${await this.#tail()}`);
      }
      await within(new Promise<void>((r) => this.#waiters.push(r)), deadline - performance.now())
        .catch(() => {});
    }
  }

  /** Waits for the script to end; its records, or an error with its stderr. */
  async done(timeout = 30_000): Promise<KazooRecord[]> {
    const status = await within(this.#child.status, timeout, "the kazoo script");
    await this.#reading;
    if (!status.success) throw new Error(`kazoo script failed: ${await this.#tail()}`);
    return this.records;
  }

  async #tail(): Promise<string> {
    try {
      this.#child.kill();
    } catch { /* ended already */ }
    return (await this.#stderr).split("\n").slice(-8).join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill();
    } catch { /* ended already */ }
    await this.#child.status;
    await this.#reading.catch(() => {});
    await this.#stderr;
  }
}

type Interval = { who: string; enter: number; exit: number };

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

function assertExclusive(intervals: Interval[]): void {
  const sorted = [...intervals].sort((a, b) => a.enter - b.enter);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(
      sorted[i - 1].exit <= sorted[i].enter + SLACK,
      `${sorted[i - 1].who} held until ${sorted[i - 1].exit.toFixed(1)}, ` +
        `${sorted[i].who} entered at ${sorted[i].enter.toFixed(1)}`,
    );
  }
  const kinds = sorted.map((x) => x.who.split("#")[0] === "kazoo");
  const switches = kinds.filter((k, i) => i > 0 && k !== kinds[i - 1]).length;
  assert.ok(switches >= 2, `the two libraries took turns (${switches} switches)`);
}

/** The most intervals open at one time. */
function mostAtOnce(intervals: Interval[]): number {
  const points = intervals.flatMap((x) => [
    { t: x.enter + SLACK, d: 1 },
    { t: x.exit, d: -1 },
  ]).sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const p of points) most = Math.max(most, open += p.d);
  return most;
}

async function hold(ms: number): Promise<{ enter: number; exit: number }> {
  const enter = wallNow();
  await new Promise((r) => setTimeout(r, ms));
  return { enter, exit: wallNow() };
}

const fixture = clusterFixture({ freePorts: true });

/** `n` clients under a fresh chroot, and the connection string kazoo uses to reach it. */
async function setup(name: string, n: number) {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot(name);
  const zks = await chrootedClients(cluster, chroot, n);
  return { hosts: cluster.connectionString({ chroot }), zks };
}

Deno.test("kazoo interop: kazoo's Lock and ours exclude each other", async () => {
  const { hosts, zks } = await setup("interop-lock", 2);
  try {
    await using kazoo = new Kazoo(hosts, "lock", "/lock", "kazoo", 12, 20);
    await kazoo.next("ready");
    const ours: Interval[] = [];
    await Promise.all(zks.map(async (zk, i) => {
      const lock = new Lock(zk, "/lock", `ts${i}`);
      for (let round = 0; round < 12; round++) {
        const handle = await lock.acquire({ timeout: 30_000 });
        ours.push({ who: `ts${i}#${round}`, ...await hold(20) });
        await handle.release();
      }
    }));
    const theirs = (await kazoo.done()).filter((r) => r.event === "held")
      .map((r, i) => ({ who: `kazoo#${i}`, enter: r.enter!, exit: r.exit! }));
    assert.equal(theirs.length, 12);
    assertExclusive([...ours, ...theirs]);
    assert.deepEqual(await zks[0].getChildren("/lock"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test("kazoo interop: each library lists the other's contenders in queue order", async () => {
  const { hosts, zks } = await setup("interop-contenders", 1);
  try {
    const handle = await new Lock(zks[0], "/lock", "ts-holder").acquire();
    await using waiter = new Kazoo(hosts, "lock", "/lock", "kazoo-waiter", 1, 20);
    await eventually(async () => (await zks[0].getChildren("/lock")).length === 2);
    assert.deepEqual(await new Lock(zks[0], "/lock").contenders(), [
      "ts-holder",
      "kazoo-waiter",
    ]);
    await using lister = new Kazoo(hosts, "contenders", "/lock", "");
    assert.deepEqual((await lister.next("contenders")).contenders, [
      "ts-holder",
      "kazoo-waiter",
    ]);
    await lister.done();
    await handle.release();
    const held = await waiter.next("held");
    assert.ok(held.enter! >= wallNow() - 10_000);
    await waiter.done();
  } finally {
    await closeAll(zks);
  }
});

Deno.test("kazoo interop: kazoo's Election and ours elect one leader at a time", async () => {
  const { hosts, zks } = await setup("interop-election", 2);
  try {
    await using kazoo = new Kazoo(hosts, "election", "/election", "kazoo", 8, 25);
    await kazoo.next("ready");
    const ours: Interval[] = [];
    await Promise.all(zks.map(async (zk, i) => {
      const election = new Election(zk, "/election", `ts${i}`);
      for (let round = 0; round < 8; round++) {
        await election.run(async (leadership) => {
          const term = await hold(25);
          assert.ok(!leadership.aborted);
          ours.push({ who: `ts${i}#${round}`, ...term });
        });
      }
    }));
    const theirs = (await kazoo.done()).filter((r) => r.event === "led")
      .map((r, i) => ({ who: `kazoo#${i}`, enter: r.enter!, exit: r.exit! }));
    assert.equal(ours.length, 16);
    assert.equal(theirs.length, 8);
    assertExclusive([...ours, ...theirs]);
  } finally {
    await closeAll(zks);
  }
});

Deno.test("kazoo interop: kazoo's Semaphore and ours share one limit", async () => {
  const { hosts, zks } = await setup("interop-semaphore", 2);
  try {
    await using kazoo = new Kazoo(hosts, "semaphore", "/sem", "kazoo", 2, 8, 30);
    await kazoo.next("ready");
    const ours: Interval[] = [];
    await Promise.all(zks.map(async (zk, i) => {
      const semaphore = new Semaphore(zk, "/sem", `ts${i}`, 2);
      for (let round = 0; round < 8; round++) {
        const lease = await semaphore.acquire({ timeout: 30_000 });
        ours.push({ who: `ts${i}#${round}`, ...await hold(30) });
        await lease.release();
      }
    }));
    const theirs = (await kazoo.done()).filter((r) => r.event === "held")
      .map((r, i) => ({ who: `kazoo#${i}`, enter: r.enter!, exit: r.exit! }));
    assert.equal(theirs.length, 8);
    assert.ok(mostAtOnce([...ours, ...theirs]) <= 2, "never more than 2 leases");
    assert.deepEqual(await zks[0].getChildren("/sem"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test("kazoo interop: kazoo honours our lease and we honour kazoo's", async () => {
  const { hosts, zks } = await setup("interop-lease", 1);
  try {
    assert.equal(await new NonBlockingLease(zks[0], "/ours", 60_000, "ts").obtain(), true);
    await using refused = new Kazoo(hosts, "lease", "/ours", "kazoo", 60_000);
    assert.equal((await refused.next("lease")).obtained, false);
    await refused.done();
    await using renews = new Kazoo(hosts, "lease", "/theirs", "kazoo", 60_000);
    assert.equal((await renews.next("lease")).obtained, true);
    await renews.done();
    assert.equal(await new NonBlockingLease(zks[0], "/theirs", 60_000, "ts").obtain(), false);
    const record = JSON.parse(
      text((await zks[0].get("/theirs/lease_holder")).data),
    );
    assert.equal(record.holder, "kazoo");
  } finally {
    await closeAll(zks);
  }
});

Deno.test(
  "kazoo interop: kazoo's WriteLock waits for our reader; our writer for kazoo's reader",
  async () => {
    const { hosts, zks } = await setup("interop-rw", 1);
    const [zk] = zks;
    try {
      const reader = await new ReadLock(zk, "/rw", "ts-reader").acquire();
      await using blocked = new Kazoo(hosts, "wlock", "/rw", "kazoo-writer", 500);
      assert.equal((await blocked.next("wlock")).acquired, false);
      await blocked.done();
      await using writer = new Kazoo(hosts, "wlock", "/rw", "kazoo-writer", 15_000);
      await eventually(async () => (await zk.getChildren("/rw")).length === 2);
      const released = wallNow();
      await reader.release();
      const got = await writer.next("wlock");
      assert.equal(got.acquired, true);
      assert.ok(got.at! + SLACK >= released);
      await writer.done();

      await using kazooReader = new Kazoo(hosts, "rlock", "/rw", "kazoo-reader", 300);
      await kazooReader.next("rlock");
      const ours = await new WriteLock(zk, "/rw", "ts-writer").acquire({ timeout: 10_000 });
      const entered = wallNow();
      const theirExit = (await kazooReader.next("released")).exit!;
      assert.ok(theirExit <= entered + SLACK, "our writer waited for kazoo's reader");
      await ours.release();
      await kazooReader.done();
      assert.deepEqual(await zk.getChildren("/rw"), []);
    } finally {
      await closeAll(zks);
    }
  },
);

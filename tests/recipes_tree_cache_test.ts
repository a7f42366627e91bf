/**
 * TreeCache against a real three-member ensemble: what it reports and
 * answers, both watch strategies (persistent recursive, and per-node
 * one-shot watches when the server lacks `addWatch`), reconnects that report
 * only real differences, no watch left after close, and convergence while a
 * writer changes the tree and the harness kills, pauses and expires.
 */
import assert from "node:assert/strict";
import {
  connect,
  NoWatcherError,
  type Stat,
  State,
  UnimplementedError,
  type ZooKeeperClient,
} from "../mod.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import { TreeCache, type TreeCacheEvent, type TreeCacheWatchMode } from "../recipes/tree_cache.ts";
import {
  chrootedClient,
  eventually,
  proxiedClient,
  uniqueChroot,
  watchedPaths,
  whileCutOff,
  within,
} from "./helpers.ts";
import { text } from "./bytes.ts";

const encoder = new TextEncoder();

interface NodeView {
  data: string | undefined;
  stat: Stat;
  children: string[];
}

/** Every node of the tree at `root` as the server has it now (after a sync). */
async function serverTree(zk: ZooKeeperClient, root: string): Promise<Map<string, NodeView>> {
  await zk.sync(root);
  const tree = new Map<string, NodeView>();
  const visit = async (path: string): Promise<void> => {
    let node;
    let children: string[];
    try {
      node = await zk.get(path);
      children = await zk.getChildren(path);
    } catch (error) {
      if (error instanceof Error && error.name === "NoNodeError") return;
      throw error;
    }
    tree.set(path, { data: text(node.data), stat: node.stat, children: [...children].sort() });
    await Promise.all(children.map((c) => visit(`${path === "/" ? "" : path}/${c}`)));
  };
  await visit(root);
  return tree;
}

/** Every node the cache holds, walked from its root. */
function cacheTree(cache: TreeCache): Map<string, NodeView> {
  const tree = new Map<string, NodeView>();
  const visit = (path: string) => {
    const node = cache.get(path);
    const children = cache.children(path);
    if (node === undefined || children === undefined) return;
    tree.set(path, { data: text(node.data), stat: node.stat, children });
    for (const c of children) visit(`${path === "/" ? "" : path}/${c}`);
  };
  visit(cache.path);
  assert.equal(tree.size, cache.size, "every cached node is reachable from the root");
  return tree;
}

/** The first difference between two trees, or undefined. */
function difference(a: Map<string, NodeView>, b: Map<string, NodeView>): string | undefined {
  for (const [path, x] of a) {
    const y = b.get(path);
    if (y === undefined) return `${path} only in the first tree`;
    try {
      assert.deepEqual(x, y);
    } catch {
      return `${path} differs: ${show(x)} vs ${show(y)}`;
    }
  }
  for (const path of b.keys()) if (!a.has(path)) return `${path} only in the second tree`;
  return undefined;
}

const show = (v: unknown) => JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}` : x);

/** Waits until the cache holds exactly what the server has. */
async function converged(cache: TreeCache, zk: ZooKeeperClient, timeout = 20_000) {
  let last: string | undefined = "not compared yet";
  try {
    await eventually(async () => {
      last = difference(cacheTree(cache), await serverTree(zk, cache.path));
      return last === undefined;
    }, timeout);
  } catch {
    assert.fail(`the cache did not converge: ${last}`);
  }
}

/** Fails unless the server holds no watch of `type` on `path` for `zk`'s session. */
async function assertNoWatch(zk: ZooKeeperClient, path: string, type: "any" | "data" | "children") {
  await assert.rejects(zk.checkWatches(path, { type }), NoWatcherError, `${type} watch on ${path}`);
}

/** `zk` with `addWatch` failing as on a server before 3.6. */
function withoutPersistentWatches(zk: ZooKeeperClient): ZooKeeperClient {
  return new Proxy(zk, {
    get(target, property) {
      if (property === "addWatch") {
        return () => Promise.reject(new UnimplementedError("addWatch (opcode 106)"));
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const summary = (e: TreeCacheEvent) =>
  e.data === undefined ? `${e.type} ${e.path}` : `${e.type} ${e.path} ${text(e.data)}`;

/**
 * Checks a cache's event log against the writer's history and the final
 * tree: per node the events follow a node's life (added, updated, removed,
 * maybe added again), zxids only move forward, data is what the writer
 * wrote there (in the order it wrote it), a removed incarnation never comes
 * back, and replaying the log gives the final cache.
 */
function checkEvents(
  events: TreeCacheEvent[],
  final: Map<string, NodeView>,
  written: Map<string, Set<number>>,
) {
  const live = new Map<string, { stat: Stat; seq: number }>();
  const dead = new Map<string, Set<bigint>>();
  const seqOf = (e: TreeCacheEvent): number => {
    const value = text(e.data) ?? "";
    if (value === "" || value === "root") return -1;
    const [path, seq] = value.split("@");
    assert.equal(path, e.path, `data of ${e.path} was written to ${path}`);
    assert.ok(written.get(path)?.has(Number(seq)), `${value} was written by the writer`);
    return Number(seq);
  };
  for (const e of events) {
    if (e.stat === undefined) continue; // connection events, INITIALIZED
    const current = live.get(e.path);
    const where = `${e.type} ${e.path} (mzxid ${e.stat.mzxid})`;
    switch (e.type) {
      case "NODE_ADDED": {
        assert.equal(current, undefined, `${where}: added while present`);
        assert.ok(!dead.get(e.path)?.has(e.stat.czxid), `${where}: a removed node came back`);
        live.set(e.path, { stat: e.stat, seq: seqOf(e) });
        break;
      }
      case "NODE_UPDATED": {
        assert.ok(current, `${where}: updated while absent`);
        assert.equal(e.stat.czxid, current.stat.czxid, `${where}: same incarnation`);
        assert.ok(e.stat.mzxid > current.stat.mzxid, `${where}: mzxid moves forward`);
        const seq = seqOf(e);
        assert.ok(seq > current.seq, `${where}: writes in the writer's order`);
        live.set(e.path, { stat: e.stat, seq });
        break;
      }
      case "NODE_REMOVED": {
        assert.ok(current, `${where}: removed while absent`);
        assert.equal(e.stat.mzxid, current.stat.mzxid, `${where}: the last state reported`);
        const set = dead.get(e.path) ?? new Set();
        set.add(e.stat.czxid);
        dead.set(e.path, set);
        live.delete(e.path);
        break;
      }
    }
  }
  // The log replays into the final tree, and what it removed is really gone.
  assert.deepEqual([...live.keys()].sort(), [...final.keys()].sort(), "replayed paths");
  for (const [path, { stat }] of live) {
    assert.equal(stat.mzxid, final.get(path)!.stat.mzxid, `replayed ${path}`);
  }
  for (const [path, czxids] of dead) {
    const now = final.get(path);
    assert.ok(now === undefined || !czxids.has(now.stat.czxid), `${path} was removed for real`);
  }
}

/**
 * Random creates, sets and deletes under `root` (names a-d, three levels),
 * one worker per top-level name so each node's writes are sequential. Data
 * is `path@seq` with a global, increasing seq. Errors from a changing tree
 * or a failing ensemble are part of the game.
 */
class Writer {
  ops = 0;
  stopped = false;
  readonly written = new Map<string, Set<number>>();
  #seq = 0;
  readonly #workers: Promise<void>[];

  constructor(readonly zk: ZooKeeperClient, readonly root: string, seed: number) {
    let state = seed;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const names = ["a", "b", "c", "d"];
    this.#workers = names.map((top) => this.#work(`${root}/${top}`, names, random));
  }

  #data(path: string): Uint8Array {
    const seq = ++this.#seq;
    let set = this.written.get(path);
    if (set === undefined) this.written.set(path, set = new Set());
    set.add(seq);
    return encoder.encode(`${path}@${seq}`);
  }

  async #work(top: string, names: string[], random: () => number): Promise<void> {
    while (!this.stopped) {
      let path = top;
      const depth = Math.floor(random() * 3);
      for (let i = 0; i < depth; i++) path += `/${names[Math.floor(random() * names.length)]}`;
      const r = random();
      try {
        if (r < 0.4) {
          await this.#create(path);
        } else if (r < 0.85) {
          await this.zk.set(path, this.#data(path));
        } else if (r < 0.97) {
          await this.zk.delete(path);
        } else {
          await this.zk.delete(path, { recursive: true });
        }
      } catch (error) {
        const name = error instanceof Error ? error.name : "";
        if (name === "ClientClosedError") return;
        // NoNode, NodeExists, NotEmpty, connection loss, expiry: expected here.
      }
      this.ops++;
    }
  }

  async #create(path: string): Promise<void> {
    try {
      await this.zk.create(path, this.#data(path));
    } catch (error) {
      if (!(error instanceof Error && error.name === "NoNodeError")) throw error;
      await this.#create(path.slice(0, path.lastIndexOf("/")));
      await this.zk.create(path, this.#data(path));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.#workers);
  }
}

// One three-member ensemble for the file. The convergence tests kill and pause
// members; they start and resume them again and wait until the ensemble serves
// before they end, so the next test finds all three members up.
const fixture = clusterFixture({ freePorts: true, size: 3 });

for (const watchMode of ["persistent", "oneShot"] as const) {
  const cacheOf = (zk: ZooKeeperClient, path: string, options = {}) =>
    watchMode === "persistent"
      ? new TreeCache(zk, path, options)
      : new TreeCache(withoutPersistentWatches(zk), path, options);

  Deno.test(
    `TreeCache, ${watchMode}: start reports every node, then INITIALIZED; get and children answer`,
    async () => {
      const cluster = await fixture.cluster();
      await using zk = await chrootedClient(cluster, uniqueChroot("start"));
      await zk.create("/app", "root");
      await zk.create("/app/a", "1");
      await zk.create("/app/a/x", "2");
      await zk.create("/app/b", "");
      const events: string[] = [];
      await using cache = cacheOf(zk, "/app");
      cache.addListener((e) => void events.push(summary(e)));
      await within(cache.start(), 10_000, "start");
      assert.equal(cache.watchMode, watchMode);
      assert.equal(cache.initialized, true);
      assert.equal(events.at(-1), "INITIALIZED /app");
      assert.deepEqual(events.slice(0, -1).sort(), [
        "NODE_ADDED /app root",
        "NODE_ADDED /app/a 1",
        "NODE_ADDED /app/a/x 2",
        "NODE_ADDED /app/b ",
      ]);
      assert.deepEqual(cache.children("/app"), ["a", "b"]);
      assert.deepEqual(cache.children("/app/a/x"), []);
      assert.equal(cache.children("/elsewhere"), undefined);
      assert.equal(text(cache.get("/app/a")?.data), "1");
      assert.deepEqual(cache.get("/app/a/x")?.stat, await zk.exists("/app/a/x"));
      assert.equal(cache.get("/app/none"), undefined);
    },
  );

  Deno.test(
    `TreeCache, ${watchMode}: changes become NODE_ADDED, NODE_UPDATED and NODE_REMOVED, in each node's order`,
    async () => {
      const cluster = await fixture.cluster();
      await using zk = await chrootedClient(cluster, uniqueChroot("changes"));
      await zk.create("/t", "0");
      await using cache = cacheOf(zk, "/t");
      const events: TreeCacheEvent[] = [];
      cache.addListener((e) => void events.push(e));
      await cache.start();
      events.length = 0;
      await zk.create("/t/n", "1");
      await zk.set("/t/n", "2");
      await zk.create("/t/n/deep", "d");
      await zk.set("/t/n", "3");
      await zk.delete("/t/n/deep");
      await zk.delete("/t/n");
      await zk.create("/t/n", "again");
      await converged(cache, zk);
      // Reads may merge quick changes, but never reorder or invent them.
      const history = ["1", "2", "3", "removed", "again"];
      let at = -1;
      let present = false;
      for (const e of events.filter((e) => e.path === "/t/n")) {
        const value = e.type === "NODE_REMOVED" ? "removed" : text(e.data)!;
        const i = history.indexOf(value, at + 1);
        assert.ok(i > at, `${summary(e)} follows ${history[at]}`);
        assert.equal(
          e.type,
          present ? (i === 3 ? "NODE_REMOVED" : "NODE_UPDATED") : "NODE_ADDED",
        );
        present = i !== 3;
        at = i;
      }
      assert.equal(at, 4, "ends with the re-created node");
      assert.deepEqual(cache.children("/t"), ["n"]);
      assert.equal(cache.get("/t/n/deep"), undefined);
    },
  );

  Deno.test(
    `TreeCache, ${watchMode}: a missing root is reported when created and emptied when deleted`,
    async () => {
      const cluster = await fixture.cluster();
      await using zk = await chrootedClient(cluster, uniqueChroot("root"));
      const events: string[] = [];
      await using cache = cacheOf(zk, "/later");
      cache.addListener((e) => void events.push(summary(e)));
      await cache.start();
      assert.deepEqual(events, ["INITIALIZED /later"]);
      assert.equal(cache.size, 0);
      await zk.create("/later", "here");
      await zk.create("/later/kid", "k");
      await converged(cache, zk);
      await zk.delete("/later", { recursive: true });
      await eventually(() => cache.size === 0);
      await zk.create("/later", "back");
      await converged(cache, zk);
      assert.deepEqual(events.slice(1), [
        "NODE_ADDED /later here",
        "NODE_ADDED /later/kid k",
        "NODE_REMOVED /later/kid k",
        "NODE_REMOVED /later here",
        "NODE_ADDED /later back",
      ]);
    },
  );

  Deno.test(
    `TreeCache, ${watchMode}: maxDepth limits the levels cached; dataMode "stat" keeps no data`,
    async () => {
      const cluster = await fixture.cluster();
      await using zk = await chrootedClient(cluster, uniqueChroot("depth"));
      await zk.create("/d/1/2/3", "deep", { makeParents: true });
      await using shallow = cacheOf(zk, "/d", { maxDepth: 1, dataMode: "stat" });
      const events: string[] = [];
      shallow.addListener((e) => void events.push(summary(e)));
      await shallow.start();
      assert.deepEqual([...events].sort(), [
        "INITIALIZED /d",
        "NODE_ADDED /d",
        "NODE_ADDED /d/1",
      ]);
      assert.equal(shallow.get("/d/1")?.data, undefined);
      assert.equal(shallow.get("/d/1")?.stat.numChildren, 1);
      assert.deepEqual(shallow.children("/d/1"), []);
      await zk.create("/d/1/other", "x");
      await zk.set("/d/1", "changed");
      await zk.create("/d/sibling", "y");
      await eventually(() => shallow.get("/d/sibling") !== undefined);
      await eventually(() => shallow.get("/d/1")?.stat.version === 1);
      assert.equal(shallow.get("/d/1/other"), undefined);
      assert.ok(events.every((e) => !e.includes("/d/1/")), `${events}`);
      if (watchMode === "persistent") {
        // Its children are not cached, but its stat follows them.
        await eventually(() => shallow.get("/d/1")?.stat.numChildren === 2);
      }
    },
  );

  Deno.test(
    `TreeCache, ${watchMode}: events are an async iterable that ends with its signal or the cache`,
    async () => {
      const cluster = await fixture.cluster();
      await using zk = await chrootedClient(cluster, uniqueChroot("iterate"));
      await zk.create("/i", "0");
      const cache = cacheOf(zk, "/i");
      const controller = new AbortController();
      const aborted = cache.events({ signal: controller.signal });
      const seen: string[] = [];
      const loop = (async () => {
        for await (const e of cache) {
          seen.push(summary(e));
          if (e.type === "INITIALIZED") await zk.set("/i", "1");
        }
      })();
      await cache.start();
      await eventually(() => seen.length === 3);
      controller.abort();
      // An aborted iterator still yields what was queued before the abort.
      const queued: string[] = [];
      for await (const e of aborted) queued.push(summary(e));
      assert.deepEqual(queued, seen);
      await cache.close();
      await within(loop, 5000, "loop ends at close");
      assert.deepEqual(seen, ["NODE_ADDED /i 0", "INITIALIZED /i", "NODE_UPDATED /i 1"]);
      assert.equal(cache.size, 0, "a closed cache holds nothing");
    },
  );

  Deno.test(
    `TreeCache, ${watchMode}: closing removes every server watch and listener`,
    async () => {
      const cluster = await fixture.cluster();
      const chroot = uniqueChroot("close");
      await using admin = await chrootedClient(cluster, chroot);
      // One member only, so its wchc lists all of this session's watches.
      const member = cluster.members.find((m) => m.running && !m.paused)!;
      await using zk = await connect(
        cluster.connectionString({ chroot, members: [member] }),
      );
      await admin.create("/w/a/b", "x", { makeParents: true });
      await admin.create("/w/c", "y");
      const cache = cacheOf(zk, "/w");
      let calls = 0;
      cache.addListener(() => void calls++);
      await cache.start();
      const watched = watchedPaths(await member.fourLetterWord("wchc"), zk.sessionId);
      assert.equal(watched.length, watchMode === "persistent" ? 1 : 4, `${watched}`);
      await cache.close();
      await cache.close(); // idempotent
      for (const path of ["/w", "/w/a", "/w/a/b", "/w/c"]) await assertNoWatch(zk, path, "any");
      assert.deepEqual(watchedPaths(await member.fourLetterWord("wchc"), zk.sessionId), []);
      const before = calls;
      await admin.set("/w/c", "z");
      await zk.sync("/w");
      assert.equal(calls, before);
    },
  );
}

Deno.test(
  "TreeCache, start falls back to per-node watches only when addWatch is unimplemented",
  async () => {
    const cluster = await fixture.cluster();
    await using zk = await chrootedClient(cluster, uniqueChroot("fallback"));
    await zk.create("/f", "0");
    await using auto = new TreeCache(withoutPersistentWatches(zk), "/f");
    await auto.start();
    assert.equal(auto.watchMode, "oneShot");
    await zk.checkWatches("/f", { type: "data" });
    await using forced = new TreeCache(withoutPersistentWatches(zk), "/f", {
      watchMode: "persistent",
    });
    await assert.rejects(forced.start(), UnimplementedError);
  },
);

Deno.test(
  "TreeCache, a reconnect reports only the connection events, and a change made meanwhile once",
  async () => {
    const cluster = await fixture.cluster();
    const member = cluster.members.find((m) => m.running && !m.paused)!;
    await using env = await proxiedClient(cluster, uniqueChroot("reconnect"), { member });
    const { admin, proxy, zk } = env;
    await admin.create("/r/a", "1", { makeParents: true });
    await admin.create("/r/b", "2");
    await using cache = new TreeCache(zk, "/r");
    const events: string[] = [];
    cache.addListener((e) => void events.push(summary(e)));
    await cache.start();
    events.length = 0;

    const cut = async (whileDown: () => Promise<void>) => {
      await whileCutOff(zk, proxy, whileDown);
      await converged(cache, admin);
    };
    await cut(async () => {});
    assert.deepEqual(events, ["CONNECTION_SUSPENDED /r", "CONNECTION_RECONNECTED /r"]);
    events.length = 0;
    await cut(async () => {
      await admin.set("/r/a", "changed");
      await admin.delete("/r/b");
      await admin.create("/r/c", "new");
    });
    assert.deepEqual(events.slice(0, 2), [
      "CONNECTION_SUSPENDED /r",
      "CONNECTION_RECONNECTED /r",
    ]);
    assert.deepEqual(events.slice(2).sort(), [
      "NODE_ADDED /r/c new",
      "NODE_REMOVED /r/b 2",
      "NODE_UPDATED /r/a changed",
    ]);
  },
);

/**
 * Runs a writer and a cache on a fresh chroot while `faults` fails the
 * ensemble, then checks the cache converged and reported only real changes.
 */
async function converge(
  watchMode: TreeCacheWatchMode,
  targetOps: number,
  faults: (zk: ZooKeeperClient, progress: (ops: number) => Promise<void>) => Promise<void>,
): Promise<void> {
  const cluster = await fixture.cluster();
  const hosts = (chroot: string) => cluster.connectionString({ chroot });
  const chroot = uniqueChroot(`converge-${watchMode}`);
  await using admin = await chrootedClient(cluster, chroot);
  await admin.create("/tree", "root");
  await using writerClient = await connect(hosts(chroot), { sessionTimeout: 6000 });
  await using zk = await connect(hosts(chroot), { sessionTimeout: 6000 });
  const cache = new TreeCache(
    watchMode === "persistent" ? zk : withoutPersistentWatches(zk),
    "/tree",
  );
  const events: TreeCacheEvent[] = [];
  cache.addListener((e) => void events.push(e));
  const writer = new Writer(writerClient, "/tree", watchMode === "persistent" ? 7 : 11);
  try {
    await eventually(() => writer.ops >= 100, 20_000, "writer started");
    await within(cache.start(), 30_000, "start");
    const progress = async (ops: number) => {
      const goal = writer.ops + ops;
      await eventually(() => writer.ops >= goal, 30_000, `${ops} more writes`);
    };
    await faults(zk, progress);
    await eventually(() => writer.ops >= targetOps, 30_000, `${targetOps} writes`);
  } finally {
    await writer.stop();
  }
  await cluster.waitUntilServing({ timeout: 30_000 });
  await converged(cache, admin, 30_000);
  const final = cacheTree(cache);
  checkEvents(events, final, writer.written);
  assert.equal(events.filter((e) => e.type === "INITIALIZED").length, 1, "one INITIALIZED");
  const types = new Set(events.map((e) => e.type));
  for (const type of ["NODE_ADDED", "NODE_UPDATED", "NODE_REMOVED", "CONNECTION_LOST"]) {
    assert.ok(types.has(type as TreeCacheEvent["type"]), `saw ${type}`);
  }
  assert.ok(writer.ops >= targetOps);
  const count = (type: string) => events.filter((e) => e.type === type).length;
  console.log(
    `${watchMode}: ${writer.ops} writes, ${final.size} nodes at the end, events: ` +
      ["NODE_ADDED", "NODE_UPDATED", "NODE_REMOVED", "CONNECTION_SUSPENDED", "CONNECTION_LOST"]
        .map((type) => `${type} ${count(type)}`).join(", "),
  );
  await cache.close();
  if (watchMode === "persistent") await assertNoWatch(zk, "/tree", "any");
  for (const path of final.keys()) await assertNoWatch(zk, path, "any");
  assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), []);
}

Deno.test(
  "TreeCache, persistent: the cache converges and reports only real changes while the ensemble fails",
  async () => {
    const cluster = await fixture.cluster();
    await converge("persistent", 3000, async (zk, progress) => {
      await progress(300);
      const victim = cluster.members.find((m) => m.address === zk.connectedAddress)!;
      assert.ok(victim, `connected to a member (${zk.connectedAddress})`);
      await victim.kill();
      await eventually(
        () => zk.state === State.CONNECTED && zk.connectedAddress !== victim.address,
        20_000,
        "cache client moved to another member",
      );
      await progress(400);
      await victim.start();
      // Pause another member: the one the cache's client is on now.
      const frozen = cluster.members.find((m) => m.address === zk.connectedAddress)!;
      assert.ok(frozen && frozen !== victim);
      frozen.pause();
      try {
        await eventually(
          () => zk.state === State.CONNECTED && zk.connectedAddress !== frozen.address,
          20_000,
          "cache client left the paused member",
        );
        await progress(300);
      } finally {
        frozen.resume();
      }
      await cluster.waitUntilServing({ timeout: 30_000 });
      await expireSession(zk, { cluster });
      await eventually(() => zk.state === State.CONNECTED, 20_000, "a new session");
      await progress(300);
    });
  },
);

Deno.test(
  "TreeCache, oneShot: the cache converges and reports only real changes through failover and expiry",
  async () => {
    const cluster = await fixture.cluster();
    await converge("oneShot", 1500, async (zk, progress) => {
      await progress(200);
      const victim = cluster.members.find((m) => m.address === zk.connectedAddress)!;
      await victim.kill();
      await eventually(
        () => zk.state === State.CONNECTED && zk.connectedAddress !== victim.address,
        20_000,
        "cache client moved to another member",
      );
      await progress(300);
      await victim.start();
      await expireSession(zk, { cluster });
      await eventually(() => zk.state === State.CONNECTED, 20_000, "a new session");
      await progress(300);
    });
  },
);

/**
 * A short tour of @zk/client: `deno task demo`.
 *
 * With `ZK_HOSTS` set it uses that ensemble; otherwise it starts a
 * ZooKeeper server of its own through the bundled harness, and removes it at
 * the end. Everything it creates lives under a fresh `/zk-demo-…` node that
 * it deletes before leaving.
 *
 * @module
 */
import { connect, type WatchedEvent } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

const decoder = new TextDecoder();
const say = (text: string) => console.log(`\n== ${text}`);
const show = (text: string) => console.log(`   ${text}`);

async function tour(hosts: string): Promise<void> {
  const root = `/zk-demo-${Date.now().toString(36)}`;
  {
    await using admin = await connect(hosts);
    await admin.ensurePath(root);
  }
  await using zk = await connect(`${hosts}${root}`, { sessionTimeout: 10_000 });
  show(
    `connected to ${zk.connectedAddress}, session 0x${zk.sessionId.toString(16)}, ` +
      `timeout ${zk.negotiatedTimeout} ms, chroot ${root}`,
  );

  say("create and read nodes");
  await zk.create("/config", "color=blue");
  await zk.create("/config/db", "postgres://db:5432", { makeParents: true });
  const { data, stat } = await zk.get("/config");
  show(`/config = "${decoder.decode(data)}" (version ${stat.version}, ${stat.numChildren} child)`);
  show(`children of /config: ${JSON.stringify(await zk.getChildren("/config"))}`);

  say("a one-shot watch fires on the next change");
  const fired = new Promise<WatchedEvent>((resolve) => {
    void zk.get("/config", { watch: resolve });
  });
  await zk.set("/config", "color=green");
  const event = await fired;
  show(`watch: ${event.type} ${event.path}`);
  show(`/config is now "${decoder.decode((await zk.get("/config")).data)}"`);

  say("a transaction: all or nothing");
  const results = await zk.transaction()
    .check("/config", 1)
    .create("/config/cache", "redis://cache:6379")
    .setData("/config", "color=red")
    .commit();
  show(`committed ${results.length} ops: ${results.map((r) => r.type).join(", ")}`);
  const failed = await zk.transaction()
    .create("/config/never")
    .check("/config", 99)
    .commit()
    .catch((e: Error & { failedIndex?: number }) => e);
  if (failed instanceof Error) {
    show(`a stale check fails the whole transaction: ${failed.message}`);
    show(`/config/never exists? ${(await zk.exists("/config/never")) !== null}`);
  }

  say("an ephemeral node vanishes when its session closes");
  {
    await using worker = await connect(`${hosts}${root}`);
    await worker.create("/worker-1", "alive", { ephemeral: true });
    show(`worker registered: ${JSON.stringify(await zk.getChildren("/", {}))}`);
    // Wait for the watch to be registered before the worker leaves: the two
    // sessions use different connections, so nothing else orders them.
    let fired!: (event: WatchedEvent) => void;
    const gone = new Promise<WatchedEvent>((resolve) => (fired = resolve));
    await zk.exists("/worker-1", { watch: fired });
    await worker.close();
    show(`watch: ${(await gone).type} /worker-1 after the worker closed its session`);
  }

  say("a persistent recursive watch reports a whole subtree");
  const controller = new AbortController();
  const seen: string[] = [];
  const watching = (async () => {
    for await (const e of zk.watch("/services", { recursive: true, signal: controller.signal })) {
      if (e.type === "NONE") continue;
      seen.push(`${e.type} ${e.path}`);
      show(`recursive watch: ${e.type} ${e.path}`);
      if (seen.length === 5) controller.abort();
    }
  })();
  await zk.create("/services");
  await zk.create("/services/api", "v1");
  await zk.create("/services/api/instance-1", "10.0.0.1:8080");
  await zk.set("/services/api", "v2");
  await zk.delete("/services/api/instance-1");
  await watching;

  say("a lock: two workers take turns");
  {
    await using a = await connect(`${hosts}${root}`);
    await using b = await connect(`${hosts}${root}`);
    const order: string[] = [];
    const work = async (zk: typeof a, name: string) => {
      await using held = await zk.lock("/locks/report", name).acquire({ timeout: 10_000 });
      order.push(`${name} in`);
      show(`${name} holds the lock (${held.path.split("/").pop()})`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} out`);
    };
    await Promise.all([work(a, "worker-a"), work(b, "worker-b")]);
    show(`never both inside: ${order.join(" → ")}`);
  }

  say("an election with a failover");
  {
    const candidates = await Promise.all(
      ["node-1", "node-2"].map(async (name) => ({ name, zk: await connect(`${hosts}${root}`) })),
    );
    const elected: string[] = [];
    const stop = new AbortController();
    const runs = candidates.map(({ name, zk }) =>
      zk.election("/election", name).run(async (leadership) => {
        elected.push(name);
        show(`${name} is the leader`);
        // The leadership signal also aborts when run's own signal (stop) does.
        await new Promise<void>((resolve) => {
          leadership.addEventListener("abort", () => resolve(), { once: true });
        });
      }, { signal: stop.signal }).catch(() => {})
    );
    while (elected.length === 0) await new Promise((r) => setTimeout(r, 20));
    const leader = candidates.find((c) => c.name === elected[0])!;
    show(`${leader.name} crashes (its session closes)…`);
    await leader.zk.close();
    while (elected.length === 1) await new Promise((r) => setTimeout(r, 20));
    show(`failover: ${elected[1]} took over`);
    stop.abort();
    await Promise.all(runs);
    for (const c of candidates) await c.zk.close();
  }

  say("clean up");
  await zk.delete("/", { recursive: true });
  await zk.close();
  {
    await using admin = await connect(hosts);
    await admin.delete(root, { recursive: true });
  }
  show("done");
}

const external = Deno.env.get("ZK_HOSTS");
if (external) {
  await tour(external);
} else {
  console.log("starting an embedded ZooKeeper (set ZK_HOSTS to use your own)…");
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  await tour(cluster.connectionString());
}

/**
 * curator-x-discovery interop with real Curator 5.4 processes: a Curator
 * service found by @zk/client (payload included), an @zk/client service
 * found by Curator's ServiceDiscovery and ServiceCache, and unregistering and
 * session expiry seen on both sides.
 */
import assert from "node:assert/strict";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import {
  BadArgumentsError,
  DataInconsistencyError,
  RandomStrategy,
  RoundRobinStrategy,
  ServiceDiscovery,
  type ServiceInstance,
  serviceInstance,
  ServiceType,
  StickyStrategy,
  UriSpec,
} from "../mod.ts";
import { CuratorTool, type ToolRecord } from "./curator/tool.ts";
import { watchedPaths, within } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

const ids = (instances: readonly ServiceInstance[]) => instances.map((i) => i.id).sort();

/** Takes snapshots from `changes` (without ending it, as `break` would) until one satisfies `accept`. */
async function until<T>(changes: AsyncIterator<T>, accept: (value: T) => boolean): Promise<T> {
  while (true) {
    const { value, done } = await changes.next();
    if (done) throw new Error("the cache's changes ended");
    if (accept(value)) return value;
  }
}

/** The ids in a DiscoveryTool "instances" record: what Curator's ServiceCache and query saw. */
function curatorSees(record: ToolRecord): { cache: string[]; query: string[] } {
  const idsOf = (list: unknown) => (list as { id: string }[]).map((i) => i.id);
  return { cache: idsOf(record.cache), query: idsOf(record.query) };
}

Deno.test({
  name: "a Curator service registers and @zk/client finds it, payload included, until it leaves",
  async fn(t) {
    const cluster = await fixture.cluster();
    await using zk = await fixture.client(t);
    await using discovery = new ServiceDiscovery(zk, { basePath: "/services" });
    await using cache = discovery.serviceCache("billing");
    await cache.start();
    const changes = cache.changes({ signal: AbortSignal.timeout(120_000) });
    const hosts = cluster.connectionString({ chroot: fixture.chroot(t) });
    await using java = await CuratorTool.start("DiscoveryTool.java", [
      hosts,
      "register",
      "/services",
      "billing",
      "java-1",
      "8080",
      "/ctl",
    ]);
    const registered = await java.next((r) => r.event === "registered", "Curator registered");

    await until(changes, (instances) => ids(instances).includes("java-1"));
    assert.deepEqual(await discovery.queryForNames(), ["billing"]);
    const [found] = await discovery.queryForInstances("billing");
    assert.equal(found.name, "billing");
    assert.equal(found.id, "java-1");
    assert.equal(found.address, "10.9.8.7");
    assert.equal(found.port, 8080);
    assert.equal(found.sslPort, null);
    assert.equal(found.serviceType, ServiceType.DYNAMIC);
    assert.equal(found.enabled, true);
    assert.deepEqual(found.payload, {
      "@class": "java.util.LinkedHashMap",
      zone: "java-zone",
      weight: 3,
    });
    assert.equal(found.uriSpec?.build(found), "http://10.9.8.7:8080/v1");
    assert.ok(Math.abs(found.registrationTimeUTC - Date.now()) < 10 * 60_000);
    assert.deepEqual(await discovery.queryForInstance("billing", "java-1"), found);
    assert.deepEqual(cache.instances, [found]);
    assert.equal(await discovery.queryForInstance("billing", "nobody"), null);
    const provider = discovery.serviceProvider("billing");
    await provider.start();
    assert.equal(provider.getInstance()?.id, "java-1");

    // Curator's session expires: the instance goes, then Curator registers it again.
    const node = "/services/billing/java-1";
    const owner = (await zk.exists(node))!.ephemeralOwner;
    assert.equal(owner, BigInt(`0x${registered.session}`));
    await expireSession(java.expirable(registered), { cluster });
    await until(changes, (instances) => !ids(instances).includes("java-1"));
    await until(changes, (instances) => ids(instances).includes("java-1"));
    const back = await zk.exists(node);
    assert.ok(back !== null && back.ephemeralOwner !== owner, "re-registered by a new session");

    // Curator unregisters: gone for us too.
    await zk.create("/ctl", "unregister");
    await java.next((r) => r.event === "unregistered", "Curator unregistered");
    await until(changes, (instances) => instances.length === 0);
    assert.deepEqual(await discovery.queryForInstances("billing"), []);
    assert.equal(provider.getInstance(), null);
    await zk.create("/ctl", "exit");
    assert.equal(await java.exitCode(), 0);
  },
});

Deno.test({
  name: "an @zk/client service registers and Curator's ServiceDiscovery and ServiceCache find it",
  async fn(t) {
    const cluster = await fixture.cluster();
    await using zk = await fixture.client(t);
    const hosts = cluster.connectionString({ chroot: fixture.chroot(t) });
    await using java = await CuratorTool.start("DiscoveryTool.java", [
      hosts,
      "watch",
      "/services",
      "search",
    ]);
    await java.next((r) => r.event === "instances", "Curator's cache started");
    await using discovery = new ServiceDiscovery(zk, { basePath: "/services" });
    const me = serviceInstance({
      name: "search",
      id: "ts-1",
      address: "10.1.2.3",
      port: 9200,
      payload: { zone: "ts-zone", weight: 5 },
      uriSpec: "{scheme}://{address}:{port}/search",
    });
    await discovery.registerService(me);

    const seen = await java.next(
      (r) => r.event === "instances" && curatorSees(r).cache.includes("ts-1"),
      "Curator's ServiceCache sees ts-1",
    );
    assert.deepEqual(curatorSees(seen), { cache: ["ts-1"], query: ["ts-1"] });
    const [theirs] = seen.cache as ToolRecord[];
    assert.deepEqual(theirs, {
      id: "ts-1",
      name: "search",
      address: "10.1.2.3",
      port: 9200,
      payload: { zone: "ts-zone", weight: 5 },
      serviceType: "DYNAMIC",
      uri: "http://10.1.2.3:9200/search",
    });
    // Curator's own field order: Java writes and we write the same bytes for the same instance.
    const json = new TextDecoder().decode((await zk.get("/services/search/ts-1")).data);
    assert.match(
      json,
      /^\{"name":"search","id":"ts-1","address":"10.1.2.3","port":9200,"sslPort":null,"payload":\{"zone":"ts-zone","weight":5\},"registrationTimeUTC":\d+,"serviceType":"DYNAMIC","uriSpec":\{"parts":\[/,
    );

    await discovery.updateService({ ...me, port: 9300 });
    await java.next(
      (r) => r.event === "instances" && (r.cache as ToolRecord[])[0]?.port === 9300,
      "Curator sees the update",
    );

    // Our session expires: Curator sees the instance go and come back (re-registered).
    const before = zk.sessionId;
    await expireSession(zk, { cluster });
    await java.next(
      (r) => r.event === "instances" && !curatorSees(r).cache.includes("ts-1"),
      "Curator sees ts-1 gone with our session",
    );
    const again = await java.next(
      (r) => r.event === "instances" && curatorSees(r).cache.includes("ts-1"),
      "Curator sees ts-1 re-registered",
    );
    assert.equal((again.cache as ToolRecord[])[0].port, 9300, "with the latest data");
    assert.notEqual(zk.sessionId, before);
    assert.equal((await zk.exists("/services/search/ts-1"))?.ephemeralOwner, zk.sessionId);

    await discovery.unregisterService(me);
    const gone = await java.next(
      (r) => r.event === "instances" && curatorSees(r).cache.length === 0,
      "Curator sees ts-1 unregistered",
    );
    assert.deepEqual(curatorSees(gone), { cache: [], query: [] });
  },
});

Deno.test("ServiceDiscovery: STATIC and DYNAMIC_SEQUENTIAL nodes, close unregisters, strategies", async (t) => {
  await using zk = await fixture.client(t);
  const discovery = new ServiceDiscovery(zk, {
    basePath: "/sd",
    payloadClass: "com.example.Details",
  });
  const fixed = serviceInstance({
    name: "s",
    id: "fixed",
    serviceType: ServiceType.STATIC,
    payload: { a: 1 },
  });
  const seq = serviceInstance({
    name: "s",
    id: "seq-",
    serviceType: ServiceType.DYNAMIC_SEQUENTIAL,
  });
  const off = serviceInstance({
    name: "s",
    id: "off",
    enabled: false,
    sslPort: 443,
    uriSpec: new UriSpec("{scheme}://x:{ssl-port}/{[}y{]}"),
  });
  await discovery.registerService(fixed);
  await discovery.registerService(seq);
  await discovery.registerService(off);
  const fixedStat = await zk.exists("/sd/s/fixed");
  assert.equal(fixedStat?.ephemeralOwner, 0n);
  const names = (await zk.getChildren("/sd/s")).sort();
  assert.equal(names.length, 3);
  assert.match(names[2], /^seq-\d{10}$/);
  assert.equal((await zk.exists(`/sd/s/${names[2]}`))?.ephemeralOwner, zk.sessionId);
  const all = await discovery.queryForInstances("s");
  const byId = new Map(all.map((i) => [i.id, i]));
  assert.deepEqual(byId.get("fixed")?.payload, { "@class": "com.example.Details", a: 1 });
  assert.equal(byId.get("seq-")?.serviceType, ServiceType.DYNAMIC_SEQUENTIAL);
  assert.equal(byId.get("off")?.enabled, false);
  assert.equal(byId.get("off")?.uriSpec?.build(byId.get("off")), "https://x:443/{y}");

  const provider = discovery.serviceProvider("s", { strategy: new RoundRobinStrategy() });
  await provider.start();
  assert.deepEqual(ids(provider.getAllInstances()), ["fixed", "seq-"]); // disabled left out
  const picks = [
    provider.getInstance()?.id,
    provider.getInstance()?.id,
    provider.getInstance()?.id,
  ];
  assert.equal(new Set(picks).size, 2);
  assert.equal(picks[0], picks[2]);
  const first = provider.getAllInstances()[0];
  provider.noteError(first);
  provider.noteError(first);
  assert.deepEqual(
    provider.getAllInstances().map((i) => i.id),
    ids(all).filter((id) => id !== first.id && id !== "off"),
  );
  const sticky = new StickyStrategy(new RandomStrategy());
  const pick = sticky.getInstance(all)!;
  assert.equal(sticky.getInstance(all), pick);
  assert.equal(sticky.getInstance(all.filter((i) => i.id !== pick.id))?.id !== pick.id, true);
  assert.equal(sticky.instanceNumber, 2);

  assert.deepEqual(
    watchedPaths(await zk.command("wchc"), zk.sessionId).sort(),
    [
      "/sd/s", // the provider's cache: one persistent recursive watch
      "/sd/s/fixed",
      `/sd/s/${names[2]}`,
      "/sd/s/off",
    ].map((p) => fixture.chroot(t) + p).sort(),
  );
  await discovery.close();
  assert.deepEqual(await zk.getChildren("/sd/s"), []);
  assert.deepEqual(watchedPaths(await zk.command("wchc"), zk.sessionId), []);
});

Deno.test("ServiceCache: stays current across its own session's expiry", async (t) => {
  const cluster = await fixture.cluster();
  await using zk = await fixture.client(t);
  await using other = await fixture.client(t);
  await using ours = new ServiceDiscovery(zk, { basePath: "/svc" });
  await using theirs = new ServiceDiscovery(other, { basePath: "/svc" });
  await using cache = ours.serviceCache("api");
  await cache.start();
  const changes = cache.changes();
  await theirs.registerService(serviceInstance({ name: "api", id: "one" }));
  await until(changes, (instances) => ids(instances).includes("one"));
  await expireSession(zk, { cluster });
  // Changes made after the expiry, while the new session sets the watch again.
  await theirs.registerService(serviceInstance({ name: "api", id: "two" }));
  await theirs.unregisterService(serviceInstance({ name: "api", id: "one" }));
  await within(until(changes, (instances) => ids(instances).join() === "two"), 30_000, "two");
  await theirs.registerService(serviceInstance({ name: "api", id: "three" }));
  await until(changes, (instances) => ids(instances).join() === "three,two");
  assert.deepEqual(ids(cache.instances), ["three", "two"]);
});

Deno.test("ServiceDiscovery: unreadable instance JSON: queries throw as Curator's, caches leave it out", async (t) => {
  await using zk = await fixture.client(t);
  const errors: unknown[] = [];
  await using discovery = new ServiceDiscovery(zk, {
    basePath: "/svc",
    onError: (error) => errors.push(error),
  });
  await discovery.registerService(serviceInstance({ name: "api", id: "good", port: 1 }));
  await zk.create("/svc/api/bad", "not json");
  await assert.rejects(discovery.queryForInstances("api"), DataInconsistencyError);
  await assert.rejects(discovery.queryForInstance("api", "bad"), DataInconsistencyError);
  await using cache = discovery.serviceCache("api");
  await cache.start();
  assert.deepEqual(ids(cache.instances), ["good"]);
  assert.ok(errors.some((e) => e instanceof DataInconsistencyError));
  assert.throws(() => serviceInstance({ name: "a/b" }), BadArgumentsError);
  assert.throws(() => serviceInstance({ name: "a", port: 70000 }), BadArgumentsError);
  await assert.rejects(
    discovery.updateService(serviceInstance({ name: "api", id: "elsewhere" })),
    BadArgumentsError,
  );
});

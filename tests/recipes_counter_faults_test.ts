/**
 * Issue 13, items 4 and 5: a Counter never reports a value that is not the
 * result of its own add, even when the connection drops at the wrong
 * moment; and Curator's SharedCount reads a counter node this client made.
 */
import assert from "node:assert/strict";
import { OutcomeUnknownError } from "../mod.ts";
import { clusterFixture, findZooKeeper } from "../lib/testing/mod.ts";
import { Counter } from "../recipes/counter.ts";
import { chrootedClient, uniqueChroot } from "./helpers.ts";
import { text } from "./bytes.ts";
import { Op, pathOf, RequestFaults } from "./request_faults.ts";

const CURATOR_JARS = ["curator-client.jar", "curator-framework.jar", "curator-recipes.jar"]
  .map((jar) => `/usr/share/java/${jar}`);

/** Curator's classpath: its jars, Guava, and the ZooKeeper client with its own. */
function curatorClasspath(): string | undefined {
  const jars = [...CURATOR_JARS, "/usr/share/java/guava.jar"];
  try {
    for (const jar of jars) Deno.statSync(jar);
    return [...jars, findZooKeeper().classpath].join(":");
  } catch {
    return undefined;
  }
}

/** What CuratorSharedCount.java printed: the count, or Curator's error. */
async function curatorSharedCount(hosts: string, path: string): Promise<number> {
  const { java } = findZooKeeper();
  const { stdout, stderr } = await new Deno.Command(java, {
    args: [
      "-cp",
      curatorClasspath()!,
      new URL("./interop/CuratorSharedCount.java", import.meta.url).pathname,
      hosts,
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  const record = JSON.parse(line || "{}");
  if (record.event !== "count") {
    throw new Error(`Curator failed: ${record.error ?? new TextDecoder().decode(stderr)}`);
  }
  return record.value;
}

const writesTo = (path: string) => (r: { type: number; body: Uint8Array }) =>
  r.type === Op.setData && pathOf(r.body).endsWith(path);

// The cluster's sessions of up to 20 s: a client held away while others act keeps its session.
const fixture = clusterFixture({ freePorts: true, tickTime: 1000 });

Deno.test(
  "Counter under lost writes: an add whose write never arrived does not claim another client's +1",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("counter-never-arrived");
    await using admin = await chrootedClient(cluster, chroot);
    const faults = new RequestFaults();
    await using zk = await chrootedClient(cluster, chroot, { transport: faults });
    const other = new Counter(admin, "/c");
    assert.equal(await other.add(5), 5);

    faults.holdReconnects();
    const cut = faults.cutBefore(writesTo("/c"));
    const adding = new Counter(zk, "/c").add(1);
    adding.catch(() => {});
    await cut;
    // Another client adds the same amount from the same value: the same bytes.
    assert.equal(await other.add(1), 6);
    faults.releaseReconnects();

    await assert.rejects(adding, OutcomeUnknownError);
    assert.equal(text((await admin.get("/c")).data), "6");
  },
);

Deno.test("Counter under lost writes: an add whose reply was lost is never applied twice", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("counter-reply-lost");
  await using admin = await chrootedClient(cluster, chroot);
  const faults = new RequestFaults();
  await using zk = await chrootedClient(cluster, chroot, { transport: faults });
  const counter = new Counter(zk, "/c");
  assert.equal(await counter.add(2), 2);

  const dropped = faults.dropReplyTo(writesTo("/c"));
  const adding = counter.add(1);
  adding.catch(() => {});
  await dropped;
  await assert.rejects(adding, OutcomeUnknownError);
  assert.equal(text((await admin.get("/c")).data), "3", "applied once");
  assert.equal(await counter.add(1), 4, "the counter goes on");
});

Deno.test({
  name: "Curator's SharedCount reads a curator-encoded counter this client created",
  ignore: curatorClasspath() === undefined,
  fn: async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("counter-curator");
    await using zk = await chrootedClient(cluster, chroot);
    const counter = new Counter(zk, "/shared", { encoding: "curator" });
    assert.equal(await counter.get(), 0);
    const hosts = cluster.connectionString({ chroot });
    assert.equal(await curatorSharedCount(hosts, "/shared"), 0);
    assert.equal((await zk.get("/shared")).data.length, 4, "a 4-byte zero, not empty");
    await counter.add(7);
    assert.equal(await curatorSharedCount(hosts, "/shared"), 7);
    // A kazoo-encoded counter still starts empty, as kazoo's does.
    await new Counter(zk, "/kazoo").get();
    assert.equal((await zk.get("/kazoo")).data.length, 0);
  },
});

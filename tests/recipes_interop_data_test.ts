/**
 * Interoperability with kazoo itself (Debian's python3-kazoo, run with the
 * system python3) for the data recipes: on the same paths, kazoo's Counter
 * and ours count together (kazoo's text and Curator's int encodings), kazoo's
 * Queue and LockingQueue and ours hand entries to each other in priority
 * order and respect each other's locks, and kazoo's parties and ours see each
 * other's members.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { Counter, type CounterOptions } from "../recipes/counter.ts";
import { LockingQueue, Queue } from "../recipes/queue.ts";
import { Party, ShallowParty } from "../recipes/party.ts";
import { chrootedClient, eventually, pythonImportError, uniqueChroot } from "./helpers.ts";
import { KazooProcess, PYTHON } from "./kazoo_process.ts";
import { text, toHex } from "./bytes.ts";

const missing = pythonImportError(
  PYTHON,
  "kazoo.client, kazoo.recipe.queue, kazoo.recipe.party",
);
if (missing) {
  console.warn(
    `skipping the kazoo data-recipe interop tests: ${PYTHON} cannot import kazoo ` +
      `(${missing}); install Debian's python3-kazoo`,
  );
}

/** The fields the kzb_*.py scripts' records carry. */
type DataRecord = {
  event: string;
  value?: number | string | null;
  raw?: string;
  repr?: string;
  values?: (string | null)[];
  members?: string[];
  node?: string;
  ok?: boolean;
};

/** A running tests/interop/kzb_*.py script. */
class Kazoo extends KazooProcess<DataRecord> {}

const fixture = clusterFixture({ freePorts: true });
const ignore = missing !== undefined;

/** A client under a fresh chroot, and the connection string kazoo uses to reach it. */
async function setup(name: string) {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot(name);
  const zk = await chrootedClient(cluster, chroot);
  return { zk, hosts: cluster.connectionString({ chroot }) };
}

const counting: Array<[string, "int" | "float" | "curator", number, number, CounterOptions]> = [
  ["int", "int", 1, 1, {}],
  ["float", "float", 0.25, 0.5, { type: "float" }],
  ["curator", "curator", 3, -1, { encoding: "curator" }],
];
for (const [label, kind, theirs, ours, options] of counting) {
  Deno.test(
    `kazoo interop: kazoo and we add to one ${label} counter at once; the total is exact`,
    { ignore },
    async () => {
      const { zk, hosts } = await setup(`interop-counter-${label}`);
      await using _zk = zk;
      const times = 40;
      await using kazoo = new Kazoo("kzb_counter.py", [
        hosts,
        "/c",
        "add",
        times,
        theirs,
        kind,
      ]);
      await kazoo.record("ready");
      const counter = new Counter(zk, "/c", options);
      for (let i = 0; i < times; i++) await counter.add(ours);
      await kazoo.done();
      const total = times * (theirs + ours);
      assert.equal(await counter.get(), total, "we read kazoo's writes");
      await using reader = new Kazoo("kzb_counter.py", [hosts, "/c", "get", kind]);
      const { value, raw } = await reader.record("value");
      await reader.done();
      assert.equal(value, total, "kazoo reads ours");
      assert.equal(raw, toHex((await zk.get("/c")).data));
    },
  );
}

Deno.test("kazoo interop: kazoo's float counter reads the values we write as Python would", {
  ignore,
}, async () => {
  const { zk, hosts } = await setup("interop-counter-repr");
  await using _zk = zk;
  const counter = new Counter(zk, "/f", { type: "float" });
  await counter.get();
  for (const value of [1e-7, -0.5, 123456789.125, 2 ** 60, 1 / 3, 5e-324, 1e22]) {
    await zk.set("/f", "");
    await counter.add(value);
    await using reader = new Kazoo("kzb_counter.py", [hosts, "/f", "get", "float"]);
    const record = await reader.record("value");
    await reader.done();
    assert.equal(record.value, value);
    assert.equal(text((await zk.get("/f")).data), record.repr, "Python's repr");
  }
});

Deno.test(
  "kazoo interop: kazoo puts, we get in priority order; and the reverse",
  { ignore },
  async () => {
    const { zk, hosts } = await setup("interop-queue");
    await using _zk = zk;
    const entries = ["100:a", "5:b", "100:c", "999:d", "0:e", "5:f"];
    const expected = ["e", "b", "f", "a", "c", "d"];
    await using producer = new Kazoo("kzb_queue.py", [hosts, "/q", "put", ...entries]);
    await producer.done();
    const queue = new Queue(zk, "/q");
    const got: (string | null)[] = [];
    for (let i = 0; i <= entries.length; i++) {
      const data = await queue.get();
      got.push(text(data));
    }
    assert.deepEqual(got, [...expected, null]);

    for (const entry of entries) {
      const [priority, value] = entry.split(":");
      await queue.put(value, { priority: Number(priority) });
    }
    await using consumer = new Kazoo("kzb_queue.py", [hosts, "/q", "get", entries.length + 1]);
    assert.deepEqual((await consumer.record("got")).values, [...expected, null]);
    await consumer.done();
  },
);

Deno.test(
  "kazoo interop: locking queues: order both ways, and kazoo's lock keeps us off its entry",
  { ignore },
  async () => {
    const { zk, hosts } = await setup("interop-locking-queue");
    await using _zk = zk;
    const queue = new LockingQueue(zk, "/lq");
    await using producer = new Kazoo("kzb_queue.py", [
      hosts,
      "/lq",
      "lput",
      "7:x",
      "3:y",
      "7:z",
    ]);
    await producer.done();
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      got.push(text((await queue.get({ timeout: 5000 }))!));
      assert.equal(await queue.consume(), true);
    }
    assert.deepEqual(got, ["y", "x", "z"]);

    await queue.putAll(["p", "q"], { priority: 1 });
    await queue.put("r", { priority: 0 });
    await using consumer = new Kazoo("kzb_queue.py", [hosts, "/lq", "lget", 3, 5]);
    assert.deepEqual((await consumer.record("got")).values, ["r", "p", "q"]);
    await consumer.done();

    await queue.put("first");
    await queue.put("second");
    await using holder = new Kazoo("kzb_queue.py", [hosts, "/lq", "lhold"], { stdin: true });
    assert.equal((await holder.record("held")).value, "first");
    assert.equal(text((await queue.get({ timeout: 5000 }))!), "second");
    const waiting = new LockingQueue(zk, "/lq").get({ timeout: 10_000 });
    await holder.send("release");
    assert.equal((await holder.record("finished")).ok, true);
    await holder.done();
    assert.equal(text((await waiting)!), "first", "released by kazoo, taken by us");
    assert.equal(await queue.consume(), true);
  },
);

for (const kind of ["party", "shallow"] as const) {
  Deno.test(
    `kazoo interop: kazoo's ${kind} party and ours see each other's members`,
    { ignore },
    async () => {
      const { zk, hosts } = await setup(`interop-${kind}`);
      await using _zk = zk;
      await using ours = kind === "party"
        ? new Party(zk, "/party", "ts-member")
        : new ShallowParty(zk, "/party", "ts-member");
      await ours.join();
      await using kazoo = new Kazoo(
        "kzb_party.py",
        [hosts, "/party", kind, "py-member", 2],
        { stdin: true },
      );
      const { node } = await kazoo.record("joined");
      assert.match(
        node!,
        kind === "party" ? /^[0-9a-f]{32}__party__$/ : /^[0-9a-f]{32}-py-member$/,
      );
      assert.deepEqual((await kazoo.record("members")).members, ["py-member", "ts-member"]);
      assert.deepEqual((await ours.members()).sort(), ["py-member", "ts-member"]);
      await kazoo.send("leave");
      assert.deepEqual((await kazoo.record("left")).members, ["ts-member"]);
      await kazoo.done();
      await eventually(async () => (await ours.size()) === 1);
      assert.deepEqual(await ours.members(), ["ts-member"]);
    },
  );
}

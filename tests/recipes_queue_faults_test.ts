/**
 * Issue 13, items 2 and 3: queue consumers that lose a reply at the wrong
 * moment, next to kazoo consumers on the same znodes. Each fault is injected
 * at the exact request: the reply dropped after the server applied it, or
 * the request cut before it reached the server, while the client's
 * reconnect is held until kazoo has acted.
 */
import assert from "node:assert/strict";
import { OutcomeUnknownError } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { LockingQueue, Queue } from "../recipes/queue.ts";
import { chrootedClient, uniqueChroot } from "./helpers.ts";
import { text } from "./bytes.ts";
import { kazooMissing, KazooProcess } from "./kazoo_process.ts";
import { firstMultiPath, Op, pathOf, RequestFaults } from "./request_faults.ts";

if (kazooMissing) console.warn(`skipping the queue fault tests: no kazoo (${kazooMissing})`);

// The cluster's sessions of up to 20 s: a client held away while others act keeps its session.
const fixture = clusterFixture({ freePorts: true, tickTime: 1000 });

Deno.test(
  "queues under lost replies: LockingQueue.release() after a lost reply leaves the lock kazoo took since alone",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("locking-queue-release");
    await using admin = await chrootedClient(cluster, chroot);
    const faults = new RequestFaults();
    await using zk = await chrootedClient(cluster, chroot, { transport: faults });
    await new LockingQueue(admin, "/lq").put("job");
    const ours = new LockingQueue(zk, "/lq");
    assert.equal(text(await ours.get({ timeout: 10_000 })), "job");
    const name = ours.holding!;

    // Our unlock reaches the server; its reply never reaches us.
    faults.holdReconnects();
    const dropped = faults.dropReplyTo((r) =>
      r.type === Op.multi && firstMultiPath(r.body).endsWith(`/lq/taken/${name}`)
    );
    const releasing = ours.release();
    await dropped;
    // Meanwhile a kazoo consumer locks the entry that is free again.
    await using kazoo = new KazooProcess(
      "kzb_queue.py",
      [cluster.connectionString({ chroot }), "/lq", "lhold"],
      { stdin: true },
    );
    assert.equal((await kazoo.record("held")).value, "job");
    faults.releaseReconnects();

    assert.equal(await releasing, true, "our release went through");
    const lock = await admin.exists(`/lq/taken/${name}`);
    assert.ok(lock !== null, "kazoo's lock is still there");
    assert.notEqual(lock.ephemeralOwner, zk.sessionId);
    assert.equal(await new LockingQueue(admin, "/lq").get({ timeout: 500 }), null);
    await kazoo.send("release");
    assert.equal((await kazoo.record("finished")).ok, true, "kazoo still held its lock");
    await kazoo.done();
  },
);

Deno.test(
  "queues under lost replies: LockingQueue.consume() after a lost reply knows its consume went through",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("locking-queue-consume");
    await using admin = await chrootedClient(cluster, chroot);
    const faults = new RequestFaults();
    await using zk = await chrootedClient(cluster, chroot, { transport: faults });
    await new LockingQueue(admin, "/lq").putAll(["one", "two"]);
    const ours = new LockingQueue(zk, "/lq");
    assert.equal(text(await ours.get({ timeout: 10_000 })), "one");
    const dropped = faults.dropReplyTo((r) => r.type === Op.multi);
    const consuming = ours.consume();
    await dropped;
    assert.equal(await consuming, true);
    assert.equal(ours.holding, undefined);
    assert.deepEqual(await admin.getChildren("/lq/taken"), []);
    assert.equal((await admin.getChildren("/lq/entries")).length, 1);
    assert.equal(text(await ours.get({ timeout: 10_000 })), "two");
    assert.equal(await ours.consume(), true);
  },
);

Deno.test(
  "queues under lost replies: Queue.get() whose delete never arrived does not hand out the entry kazoo took",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("queue-get");
    await using admin = await chrootedClient(cluster, chroot);
    const faults = new RequestFaults();
    await using zk = await chrootedClient(cluster, chroot, { transport: faults });
    await new Queue(admin, "/q").put("only");

    // Our delete is cut before it reaches the server...
    faults.holdReconnects();
    const cut = faults.cutBefore((r) =>
      r.type === Op.delete && pathOf(r.body).includes("/q/entry-")
    );
    const getting = new Queue(zk, "/q").get();
    getting.catch(() => {});
    await cut;
    // ...and kazoo takes the only entry while we are away.
    await using kazoo = new KazooProcess("kzb_queue.py", [
      cluster.connectionString({ chroot }),
      "/q",
      "get",
      1,
    ]);
    assert.deepEqual((await kazoo.record("got")).values, ["only"]);
    await kazoo.done();
    faults.releaseReconnects();

    await assert.rejects(getting, OutcomeUnknownError);
    assert.deepEqual(await admin.getChildren("/q"), []);
  },
);

Deno.test("queues under lost replies: Queue.get() whose reply was lost says so rather than guess", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("queue-get-reply-lost");
  await using admin = await chrootedClient(cluster, chroot);
  const faults = new RequestFaults();
  await using zk = await chrootedClient(cluster, chroot, { transport: faults });
  await new Queue(admin, "/q").putAll(["first", "second"]);
  const queue = new Queue(zk, "/q");
  const dropped = faults.dropReplyTo((r) => r.type === Op.delete);
  const getting = queue.get();
  getting.catch(() => {});
  await dropped;
  const error = await getting.then(() => undefined, (e) => e);
  assert.ok(error instanceof OutcomeUnknownError, String(error));
  assert.match(error.path!, /^\/q\/entry-100-0+$/);
  assert.equal(text(await queue.get()), "second", "the next entry is handed out once");
  assert.equal(await queue.get(), null);
});

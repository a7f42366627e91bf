/**
 * Election against a real server: one leader at a time, failover when the
 * leader's client closes or its session expires, cancellation, and a
 * leadership signal that tells the leader when to stop.
 */
import assert from "node:assert/strict";
import { ConnectionLossError } from "../mod.ts";
import { Election } from "../recipes/election.ts";
import { clusterFixture, expireSession } from "../lib/testing/mod.ts";
import {
  aborted,
  chrootedClients,
  closeAll,
  deferred,
  eventually,
  proxiedClient,
  uniqueChroot,
  within,
} from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("Election: four contenders lead one at a time, each once", async (t) => {
  await using zks = await fixture.clients(t, 4);
  const terms: { who: number; start: number; end: number }[] = [];
  let leaders = 0;
  await within(
    Promise.all(
      zks.map((zk, i) =>
        new Election(zk, "/election", `c${i}`).run(async (leadership) => {
          leaders++;
          assert.equal(leaders, 1, "one leader at a time");
          const start = performance.now();
          await new Promise((r) => setTimeout(r, 50));
          assert.ok(!leadership.aborted);
          leaders--;
          terms.push({ who: i, start, end: performance.now() });
        })
      ),
    ),
    15_000,
    "the elections",
  );
  assert.deepEqual(terms.map((x) => x.who).sort(), [0, 1, 2, 3]);
  terms.sort((a, b) => a.start - b.start);
  for (let i = 1; i < terms.length; i++) assert.ok(terms[i - 1].end <= terms[i].start);
  assert.deepEqual(await zks[0].getChildren("/election"), []);
});

Deno.test("Election: contenders() lists identifiers with the leader first", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("contenders");
  const zks = await chrootedClients(cluster, chroot, 3);
  const stop = new AbortController();
  try {
    const elected = deferred<void>();
    const runs = zks.map((zk, i) =>
      new Election(zk, "/election", `c${i}`).run(async (leadership) => {
        elected.resolve();
        await aborted(leadership);
      }, { signal: stop.signal }).catch(() => {})
    );
    await elected.promise;
    await eventually(async () => (await zks[0].getChildren("/election")).length === 3);
    const contenders = await new Election(zks[0], "/election").contenders();
    assert.equal(contenders.length, 3);
    assert.deepEqual([...contenders].sort(), ["c0", "c1", "c2"]);
    stop.abort(new Error("done"));
    await within(Promise.all(runs), 10_000, "runs to end");
    assert.deepEqual(await zks[0].getChildren("/election"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test("Election: when the leader's client closes, the next contender leads", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const aLeads = deferred<AbortSignal>();
  const aRun = new Election(a, "/election", "a").run(async (leadership) => {
    aLeads.resolve(leadership);
    await aborted(leadership);
  });
  const aSignal = await aLeads.promise;
  const bLeads = deferred<void>();
  const bRun = new Election(b, "/election", "b").run(() => bLeads.resolve());
  await eventually(async () => (await b.getChildren("/election")).length === 2);
  await a.close();
  assert.ok(aSignal.aborted, "a is told at once");
  await within(aRun, 5000, "a's run to end");
  await within(bLeads.promise, 5000, "b to lead");
  await bRun;
});

Deno.test(
  "Election: when the leader's session expires it is told, and the next contender leads",
  async (t) => {
    const cluster = await fixture.cluster();
    await using clients = await fixture.clients(t, 2);
    const [a, b] = clients;
    const aLeads = deferred<AbortSignal>();
    const aElection = new Election(a, "/election", "a");
    const aRun = aElection.run(async (leadership) => {
      aLeads.resolve(leadership);
      await aborted(leadership);
    });
    const aSignal = await aLeads.promise;
    const bLeads = deferred<void>();
    const bStop = new AbortController();
    const bRun = new Election(b, "/election", "b").run(async (leadership) => {
      bLeads.resolve();
      await aborted(leadership);
    }, { signal: bStop.signal });
    await eventually(async () => (await b.getChildren("/election")).length === 2);
    await expireSession(a, { cluster });
    assert.ok(aSignal.aborted);
    await within(aRun, 5000, "a's run to end");
    await within(bLeads.promise, 5000, "b to lead");
    // a joins again with its new session and waits behind b.
    const aAgain = deferred<void>();
    const aRun2 = aElection.run(() => aAgain.resolve());
    await eventually(async () => (await b.getChildren("/election")).length === 2);
    assert.deepEqual(await aElection.contenders(), ["b", "a"]);
    bStop.abort(new Error("b steps down"));
    await bRun;
    await within(aAgain.promise, 5000, "a to lead again");
    await aRun2;
  },
);

Deno.test(
  "Election: a dropped connection aborts the leadership signal with a ConnectionLossError",
  async () => {
    const cluster = await fixture.cluster();
    await using env = await proxiedClient(cluster, uniqueChroot("reason"));
    const { admin, proxy, zk: a } = env;
    const leads = deferred<AbortSignal>();
    const run = new Election(a, "/election").run(async (leadership) => {
      leads.resolve(leadership);
      await aborted(leadership);
    });
    const signal = await leads.promise;
    await proxy.cut();
    await within(run, 10_000, "the leader to step down");
    assert.ok(signal.reason instanceof ConnectionLossError, String(signal.reason));
    await eventually(async () => (await admin.getChildren("/election")).length === 0);
  },
);

Deno.test("Election: cancel() ends a waiting run without leading, and stops a leader", async (t) => {
  await using clients = await fixture.clients(t, 2);
  const [a, b] = clients;
  const aElection = new Election(a, "/election", "a");
  const aLeads = deferred<AbortSignal>();
  const aRun = aElection.run(async (leadership) => {
    aLeads.resolve(leadership);
    await aborted(leadership);
  });
  await aLeads.promise;
  const bElection = new Election(b, "/election", "b");
  let bLed = false;
  const bRun = bElection.run(() => {
    bLed = true;
  });
  await eventually(async () => (await a.getChildren("/election")).length === 2);
  bElection.cancel();
  await within(bRun, 5000, "b's run");
  assert.equal(bLed, false);
  assert.equal((await a.getChildren("/election")).length, 1, "b's node is gone");
  aElection.cancel();
  await within(aRun, 5000, "a's run");
  assert.deepEqual(await a.getChildren("/election"), []);
});

Deno.test(
  "Election: an aborted run rejects with the reason; a failing leader's error comes out of run",
  async (t) => {
    await using clients = await fixture.clients(t, 2);
    const [a, b] = clients;
    const aLeads = deferred<void>();
    const release = deferred<void>();
    const aRun = new Election(a, "/election", "a").run(async () => {
      aLeads.resolve();
      await release.promise;
      throw new Error("leader failed");
    });
    await aLeads.promise;
    const reason = new Error("gave up");
    await assert.rejects(
      new Election(b, "/election", "b").run(() => {}, {
        signal: AbortSignal.abort(reason),
      }),
      (e) => e === reason,
    );
    const controller = new AbortController();
    const bRun = new Election(b, "/election", "b").run(() => {}, {
      signal: controller.signal,
    });
    await eventually(async () => (await a.getChildren("/election")).length === 2);
    controller.abort(reason);
    await assert.rejects(bRun, (e) => e === reason);
    release.resolve();
    await assert.rejects(aRun, /leader failed/);
    assert.deepEqual(await a.getChildren("/election"), []);
  },
);

/**
 * The client on Bun, against real servers: connect, CRUD, a watch, a
 * failover to another member with the session kept, and TLS. Run with
 * `bun tests/bun/run.ts`; exits non-zero on the first failure.
 */
import assert from "node:assert/strict";
import { connect, State, type WatchedEvent } from "../../mod.ts";
import { FaultyTransport, ZooKeeperCluster } from "../../lib/testing/mod.ts";
import { OpCode } from "../../lib/jute/opcodes.ts";

const decoder = new TextDecoder();

async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await fn();
  console.log(`ok  ${name} (${Math.round(performance.now() - started)} ms)`);
}

assert.ok((globalThis as { Bun?: unknown }).Bun, "run this with bun");
const cluster = await ZooKeeperCluster.start({ size: 3, tls: true, freePorts: true });
try {
  const chroot = `/bun-${Date.now()}`;
  await step("connect and CRUD", async () => {
    const zk = await connect(cluster.connectionString(), { sessionTimeout: 6000 });
    try {
      await zk.create(`${chroot}/a`, "one", { makeParents: true });
      assert.equal(decoder.decode((await zk.get(`${chroot}/a`)).data), "one");
      assert.equal((await zk.set(`${chroot}/a`, "two")).version, 1);
      assert.deepEqual(await zk.getChildren(chroot), ["a"]);
      const results = await zk.transaction().create(`${chroot}/b`).delete(`${chroot}/a`).commit();
      assert.equal(results.length, 2);
      await Promise.all(Array.from({ length: 200 }, () => zk.exists(`${chroot}/b`)));
    } finally {
      await zk.close();
    }
  });

  await step("a watch fires, and a failover keeps the session and the watch", async () => {
    const zk = await connect(cluster.connectionString({ chroot }), { sessionTimeout: 6000 });
    const writer = await connect(cluster.connectionString({ chroot }));
    try {
      const events: WatchedEvent[] = [];
      await zk.get("/b", { watch: (e) => void events.push(e) });
      await writer.set("/b", "x");
      await waitFor(() => events.length === 1, 5000, "first watch");
      assert.equal(events[0].type, "CHANGED");

      await zk.create("/eph", null, { ephemeral: true });
      await zk.exists("/later", { watch: (e) => void events.push(e) });
      const session = zk.sessionId;
      const states: string[] = [];
      zk.addListener((s) => states.push(s));
      const member = cluster.members.find((m) => m.address === zk.connectedAddress);
      assert.ok(member);
      await member.kill();
      await waitFor(
        () => states.includes(State.SUSPENDED) && zk.state === State.CONNECTED,
        20_000,
        "failover",
      );
      assert.equal(zk.sessionId, session);
      assert.notEqual(zk.connectedAddress, member.address);
      assert.ok(await zk.exists("/eph"));
      await writer.create("/later");
      await waitFor(() => events.length === 2, 5000, "watch after failover");
      assert.equal(events[1].type, "CREATED");
      await member.start();
    } finally {
      await zk.close();
      await writer.close();
    }
  });

  await step("TLS with the cluster's CA", async () => {
    const zk = await connect(cluster.connectionString({ tls: true, chroot }), {
      tls: { caCerts: [cluster.tls!.caCert] },
    });
    try {
      assert.ok(await zk.exists("/b"));
      assert.match(await zk.command("ruok"), /imok/);
    } finally {
      await zk.close();
    }
    const refused = await connect(cluster.connectionString({ tls: true }), {
      tls: { caCerts: [cluster.tls!.untrustedCaCert] },
      startTimeout: 3000,
    }).then(async (zk) => {
      await zk.close(); // a client that got in must not keep the process alive
      return null;
    }, (e) => e);
    assert.ok(refused instanceof Error, "an untrusted CA is refused");
    // verify: false trusts whatever the server shows (here: a CA we were not given).
    const unverified = await connect(cluster.connectionString({ tls: true, chroot }), {
      tls: { caCerts: [cluster.tls!.untrustedCaCert], verify: false },
      startTimeout: 5000,
    });
    try {
      assert.ok(await unverified.exists("/b"), "verify: false connects and works");
    } finally {
      await unverified.close();
    }
  });
  await step(
    "LOST one session timeout after a drop, though the next connection dies while priming",
    async () => {
      const faults = new FaultyTransport();
      const zk = await connect(cluster.connectionString(), {
        transport: faults,
        sessionTimeout: 4000,
        auth: [{ scheme: "digest", credential: "alice:secret" }],
      });
      try {
        const states: string[] = [];
        zk.addListener((s) => states.push(s));
        const next = faults.connections + 1;
        faults.addRule((f) => {
          if (f.connection !== next || f.direction !== "in" || f.index !== 1) return undefined;
          faults.refuse(); // the ConnectResponse passes, the auth reply never comes
          return "passThenCut";
        });
        faults.cutAll();
        await waitFor(() => states.includes(State.LOST), zk.negotiatedTimeout + 5000, "LOST");
        faults.accept();
        await waitFor(() => zk.state === State.CONNECTED, 10_000, "a new session");
      } finally {
        await zk.close();
      }
    },
  );

  await step("a state listener that rejects is logged, not an unhandled rejection", async () => {
    const faults = new FaultyTransport();
    const warnings: unknown[] = [];
    const zk = await connect(cluster.connectionString(), {
      transport: faults,
      logger: { warn: (...args: unknown[]) => void warnings.push(args) },
    });
    try {
      zk.addListener(async () => {
        await Promise.resolve();
        throw new Error("listener boom");
      });
      faults.cutAll();
      await waitFor(() => warnings.length >= 2 && zk.state === State.CONNECTED, 10_000, "logged");
    } finally {
      await zk.close();
    }
  });

  await step("a watch event never overtakes the reply it followed on the wire", async () => {
    const faults = new FaultyTransport();
    const zk = await connect(cluster.connectionString({ chroot }), { transport: faults });
    const writer = await connect(cluster.connectionString({ chroot }));
    try {
      const order: string[] = [];
      let replied = false;
      faults.addRule((f) => {
        if (f.kind === "reply" && f.opCode === OpCode.getData) replied = true;
        return undefined;
      });
      faults.coalesce(2); // the reply and the event after it arrive in one chunk
      const reader = (async () => {
        await zk.get("/b", { watch: () => void order.push("watcher") });
        order.push("after await");
      })();
      await waitFor(() => replied, 5000, "the reply");
      await writer.set("/b", "ordered");
      await waitFor(() => order.length === 2, 5000, "the watch");
      await reader;
      assert.deepEqual(order, ["after await", "watcher"]);
    } finally {
      await zk.close();
      await writer.close();
    }
  });
  console.log("bun: all passed");
} finally {
  await cluster.stop();
}

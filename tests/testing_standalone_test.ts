/**
 * The harness's standalone server: found, started with a real readiness
 * probe, answering four-letter words, stopped without leftovers.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import process from "node:process";
import { ConfigurationError } from "../lib/errors.ts";
import {
  assertPortsFree,
  digest,
  findZooKeeper,
  fourLetterWord,
  freePorts,
  PortInUseError,
  RawSession,
  ZooKeeperCluster,
} from "../lib/testing/mod.ts";
import { ownHarnessDirs, portOpen, processesMentioning } from "./testing_helpers.ts";

/**
 * A port offset picked at run time: a port the OS found free, with the three
 * after it (a member's quorum, election and TLS ports) free too.
 */
async function freeOffset(): Promise<number> {
  for (;;) {
    const [port] = await freePorts(1);
    if (port + 3 > 65535) continue;
    try {
      await assertPortsFree([0, 1, 2, 3].map((i) => ({ port: port + i, what: "offset port" })));
      return port;
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
}

Deno.test("findZooKeeper returns a classpath with the server jar and a java", () => {
  const found = findZooKeeper();
  assert.match(found.classpath, /zookeeper/);
  assert.ok(existsSync(found.java), found.java);
});

Deno.test("findZooKeeper names the variables and the install command when nothing is found", () => {
  const saved = process.env.ZOOKEEPER_PATH;
  process.env.ZOOKEEPER_PATH = "/nonexistent/zookeeper";
  try {
    assert.throws(() => findZooKeeper(), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /ZOOKEEPER_CLASSPATH/);
      assert.match(error.message, /ZOOKEEPER_PATH/);
      assert.match(error.message, /apt-get install -y zookeeper/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.ZOOKEEPER_PATH;
    else process.env.ZOOKEEPER_PATH = saved;
  }
});

Deno.test("digest computes ZooKeeper's user:base64(sha1) form", () => {
  // Value from ZooKeeper's DigestAuthenticationProvider.generateDigest("super:test").
  assert.equal(digest("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
});

Deno.test("a standalone server serves four-letter words and sessions, then stops without leftovers", async () => {
  const offset = await freeOffset();
  const cluster = await ZooKeeperCluster.start({ portOffset: offset });
  let stopped = false;
  try {
    const [member] = cluster.members;
    assert.equal(cluster.members.length, 1);
    assert.equal(member.clientPort, offset);
    assert.equal(member.address, `127.0.0.1:${offset}`);
    assert.equal(cluster.connectionString({ chroot: "/app" }), `127.0.0.1:${offset}/app`);
    assert.equal(await member.fourLetterWord("ruok"), "imok");
    assert.equal(await fourLetterWord("127.0.0.1", offset, "ruok"), "imok");
    assert.equal(await member.mode(), "standalone");
    assert.equal(await cluster.leader(), member);
    assert.match(await member.fourLetterWord("conf"), /maxSessionTimeout=60000/);

    await using session = await RawSession.connect(member.address, { sessionTimeout: 4000 });
    assert.equal(session.negotiatedTimeout, 4000);
    assert.equal(await session.create("/harness", "x"), "/harness");
    assert.deepEqual(await session.getChildren("/"), ["harness", "zookeeper"]);
    await session.close();

    assert.equal(processesMentioning(member.dir).length, 1, "one java for the member");
    await cluster.stop();
    stopped = true;
    assert.equal(member.running, false);
    assert.equal(await portOpen(offset), false, "the client port is closed");
    assert.deepEqual(processesMentioning(cluster.dir), []);
    assert.equal(existsSync(cluster.dir), false, "the temp folder is gone");
  } finally {
    if (!stopped) await cluster.stop();
  }
});

Deno.test("a member restarted after a crash keeps its data and logs what it did", async () => {
  const offset = await freeOffset();
  await using cluster = await ZooKeeperCluster.start({ portOffset: offset });
  const [member] = cluster.members;
  {
    await using session = await RawSession.connect(member.address);
    await session.create("/kept", "data");
  }
  await member.kill();
  assert.equal(member.running, false);
  assert.equal(await member.mode(), null);
  await member.start();
  assert.equal(await member.mode(), "standalone");
  await using session = await RawSession.connect(member.address);
  assert.equal(new TextDecoder().decode(await session.getData("/kept")), "data");
  await member.restart();
  assert.match(await member.logs(), new RegExp(`binding to port .*:${offset}\\b`));
});

Deno.test("a taken port is reported by its number", async () => {
  const taken = await freeOffset();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(taken, "127.0.0.1", resolve));
  try {
    await assert.rejects(
      ZooKeeperCluster.start({ portOffset: taken }),
      (error: Error) => {
        assert.ok(error instanceof PortInUseError);
        assert.equal(error.port, taken);
        assert.match(
          error.message,
          new RegExp(`port ${taken} \\(member 1 client port\\) is already in use`),
        );
        return true;
      },
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

Deno.test("freePorts starts on ports the OS picked, away from the offset", async () => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  const [member] = cluster.members;
  assert.notEqual(member.clientPort, 20000);
  assert.equal(await member.fourLetterWord("ruok"), "imok");
});

Deno.test("a member that cannot start fails with its log instead of hanging", async () => {
  // Other test files may start and stop clusters in this process meanwhile (--parallel), so the
  // folder to watch is the one whose zoo.cfg holds this test's bad setting.
  const mine = new Set<string>();
  const spot = () => {
    for (const dir of ownHarnessDirs()) {
      try {
        const cfg = Deno.readTextFileSync(`${dir}/member-1/zoo.cfg`);
        if (cfg.includes("tickTime=not-a-number")) mine.add(dir);
      } catch {
        // not written yet, or being removed
      }
    }
  };
  const watcher = setInterval(spot, 5);
  try {
    await assert.rejects(
      ZooKeeperCluster.start({
        portOffset: await freeOffset(),
        properties: { tickTime: "not-a-number" },
      }),
      /exited .* while starting; its log:[^]*NumberFormatException|not-a-number/,
    );
  } finally {
    clearInterval(watcher);
  }
  assert.ok(mine.size > 0, "its folder was seen while it started");
  for (const dir of mine) {
    assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound, `${dir} is removed`);
  }
});

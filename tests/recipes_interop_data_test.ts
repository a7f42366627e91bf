/**
 * Interoperability with kazoo itself (Debian's python3-kazoo, run with the
 * system python3) for the data recipes: on the same paths, kazoo's Counter
 * and ours count together (kazoo's text and Curator's int encodings), kazoo's
 * Queue and LockingQueue and ours hand entries to each other in priority
 * order and respect each other's locks, and kazoo's parties and ours see each
 * other's members.
 */
import assert from "node:assert/strict";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { Counter, type CounterOptions } from "../recipes/counter.ts";
import { LockingQueue, Queue } from "../recipes/queue.ts";
import { Party, ShallowParty } from "../recipes/party.ts";
import { chrootedClient, eventually, pythonImportError, uniqueChroot } from "./helpers.ts";
import { text, toHex } from "./bytes.ts";

const PORT_OFFSET = 25300;
const PYTHON = "/usr/bin/python3";
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

interface KazooRecord {
  event: string;
  value?: number | string | null;
  raw?: string;
  repr?: string;
  values?: (string | null)[];
  members?: string[];
  node?: string;
  ok?: boolean;
}

/** A running tests/interop/kzb_*.py: its JSON records as they come, and its end. */
class Kazoo implements AsyncDisposable {
  readonly records: KazooRecord[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #reading: Promise<void>;
  readonly #stderr: Promise<string>;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(script: string, args: (string | number)[], options: { stdin?: boolean } = {}) {
    const child = new Deno.Command(PYTHON, {
      args: [new URL(`./interop/${script}`, import.meta.url).pathname, ...args.map(String)],
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stdin = options.stdin ? child.stdin.getWriter() : undefined;
    this.#stderr = new Response(child.stderr).text();
    this.#reading = (async () => {
      let buffered = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.records.push(JSON.parse(line));
        }
        this.#wake();
      }
      this.#ended = true;
      this.#wake();
    })();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The first record of `event`, once it arrives (fails if the script ends without it). */
  async record(event: string, timeout = 20_000): Promise<KazooRecord> {
    const deadline = Date.now() + timeout;
    while (true) {
      const found = this.records.find((r) => r.event === event);
      if (found) return found;
      if (this.#ended) {
        throw new Error(`kazoo ended without "${event}": ${await this.#stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`no "${event}" from kazoo in ${timeout} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, 100);
      });
      clearTimeout(timer);
    }
  }

  /** Writes a line to the script's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Waits for the script to exit, and fails with its stderr unless it succeeded. */
  async done(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
    const status = await this.#child.status;
    await this.#reading;
    const stderr = await this.#stderr;
    assert.ok(status.success, `kazoo script failed (${status.code}): ${stderr}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#stdin?.close().catch(() => {});
    await this.#child.status;
    await this.#reading.catch(() => {});
    await this.#stderr.catch(() => "");
  }
}

Deno.test({
  name: "kazoo interop: counters, queues and parties on the same znodes",
  ignore: missing !== undefined,
  sanitizeOps: true,
  sanitizeResources: true,
  async fn(t) {
    await using cluster = await ZooKeeperCluster.start({ portOffset: PORT_OFFSET });
    const setup = async (name: string) => {
      const chroot = uniqueChroot(name);
      const zk = await chrootedClient(cluster, chroot);
      return { zk, hosts: cluster.connectionString({ chroot }) };
    };

    const counting: Array<[string, "int" | "float" | "curator", number, number, CounterOptions]> = [
      ["int", "int", 1, 1, {}],
      ["float", "float", 0.25, 0.5, { type: "float" }],
      ["curator", "curator", 3, -1, { encoding: "curator" }],
    ];
    for (const [label, kind, theirs, ours, options] of counting) {
      await t.step(
        `kazoo and we add to one ${label} counter at once; the total is exact`,
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

    await t.step("kazoo's float counter reads the values we write as Python would", async () => {
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

    await t.step("kazoo puts, we get in priority order; and the reverse", async () => {
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
    });

    await t.step(
      "locking queues: order both ways, and kazoo's lock keeps us off its entry",
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
      await t.step(`kazoo's ${kind} party and ours see each other's members`, async () => {
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
      });
    }
  },
});

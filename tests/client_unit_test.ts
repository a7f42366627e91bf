/**
 * Server-free behaviour of the client's building blocks: framing, the
 * connection string, the host list, the watch table and the event queue.
 */
import assert from "node:assert/strict";
import { FrameState } from "../lib/transport/framing.ts";
import { HostList, parseConnectionString } from "../lib/session/hosts.ts";
import { batchWatchLists, WatchRegistry } from "../lib/session/watches.ts";
import { EventQueue } from "../lib/events.ts";
import { ConfigurationError, MarshallingError } from "../lib/errors.ts";
import { Chroot } from "../lib/paths.ts";
import type { WatchedEvent } from "../lib/types.ts";

function frame(bytes: number[]): number[] {
  const n = bytes.length;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...bytes];
}

Deno.test("framing: frames split at every byte boundary come out whole and in order", () => {
  const stream = [...frame([1, 2, 3]), ...frame([]), ...frame([4, 5, 6, 7, 8])];
  for (let cut = 0; cut <= stream.length; cut++) {
    for (let cut2 = cut; cut2 <= stream.length; cut2++) {
      const state = new FrameState(100);
      const out = [
        ...state.push(new Uint8Array(stream.slice(0, cut))),
        ...state.push(new Uint8Array(stream.slice(cut, cut2))),
        ...state.push(new Uint8Array(stream.slice(cut2))),
      ].map((f) => [...f]);
      assert.deepEqual(out, [[1, 2, 3], [], [4, 5, 6, 7, 8]], `cuts ${cut},${cut2}`);
      assert.equal(state.buffered, 0);
    }
  }
});

Deno.test("framing: a length above the limit or below zero is a MarshallingError", () => {
  assert.throws(
    () => new FrameState(10).push(new Uint8Array(frame(new Array(11).fill(0)))),
    MarshallingError,
  );
  assert.throws(
    () => new FrameState(10).push(new Uint8Array([255, 255, 255, 255])),
    MarshallingError,
  );
});

Deno.test("connection string: hosts, default port, IPv6 brackets and chroot", () => {
  assert.deepEqual(parseConnectionString("a:1,b,[::1]:3,[fe80::2]/app/x"), {
    hosts: [
      { host: "a", port: 1 },
      { host: "b", port: 2181 },
      { host: "::1", port: 3 },
      { host: "fe80::2", port: 2181 },
    ],
    chroot: "/app/x",
  });
  assert.equal(parseConnectionString("a/").chroot, "");
  for (const bad of ["", ":1", "a:99999", "a:x", "[::1", "a/b/", "a//b", ","]) {
    assert.throws(() => parseConnectionString(bad), ConfigurationError, bad);
  }
});

Deno.test("host list: every resolved address is tried once per pass, then it wraps", async () => {
  const list = new HostList([{ host: "multi", port: 1 }, { host: "10.0.0.9", port: 2 }], {
    randomize: false,
    resolve: (host) => Promise.resolve(host === "multi" ? ["10.0.0.1", "10.0.0.2"] : [host]),
  });
  const seen: string[] = [];
  let wrapped = false;
  for (let i = 0; i < 4; i++) {
    const next = await list.next();
    seen.push(`${next.address.host}:${next.address.port}`);
    wrapped ||= next.wrapped;
  }
  assert.deepEqual(seen, ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.9:2", "10.0.0.1:1"]);
  assert.equal(wrapped, true);
  assert.equal((await list.next()).address.name, "multi");
});

// Host list update: clients spread over a changed ensemble (ZOOKEEPER-1355).
const hosts = (...names: string[]) => names.map((host) => ({ host, port: 2181 }));
const connectedTo = (host: string) => ({
  host: `10.0.0.${host.slice(1)}`,
  port: 2181,
  name: host,
});
const fixed = (...values: number[]) => () => values.shift() ?? 0;

Deno.test("host list update: a grown list: move to an added server with probability 1 - old/new", () => {
  // 2 -> 4 servers: move when the draw is below 0.5.
  const move = new HostList(hosts("s1", "s2")).update(
    hosts("s1", "s2", "s3", "s4"),
    connectedTo("s1"),
    fixed(0.49, 0.99),
  );
  assert.deepEqual(move, { host: "s4", port: 2181, name: "s4" });
  const stay = new HostList(hosts("s1", "s2")).update(
    hosts("s1", "s2", "s3", "s4"),
    connectedTo("s1"),
    fixed(0.5),
  );
  assert.equal(stay, undefined);
});

Deno.test("host list update: a shrunk or same-size list that keeps our server: stay", () => {
  const list = new HostList(hosts("s1", "s2", "s3"));
  assert.equal(list.update(hosts("s1", "s2"), connectedTo("s1"), fixed(0)), undefined);
  assert.equal(list.update(hosts("s2", "s1"), connectedTo("s1"), fixed(0)), undefined);
});

Deno.test("host list update: our server is gone: always move, to a kept or an added one by the formula", () => {
  // 3 -> 2 servers, both kept: p(kept) = 2·(3-2) / (2·(3-2)) = 1.
  const toKept = new HostList(hosts("s1", "s2", "s3")).update(
    hosts("s2", "s3"),
    connectedTo("s1"),
    fixed(0.99, 0),
  );
  assert.deepEqual(toKept, { host: "s2", port: 2181, name: "s2" });
  // 3 -> 3 servers, s1 replaced by s9: p(kept) = 0, so the added one.
  const toAdded = new HostList(hosts("s1", "s2", "s3")).update(
    hosts("s2", "s3", "s9"),
    connectedTo("s1"),
    fixed(0, 0),
  );
  assert.deepEqual(toAdded, { host: "s9", port: 2181, name: "s9" });
  // A grown list without our server: an added server.
  const grown = new HostList(hosts("s1")).update(
    hosts("s2", "s3"),
    connectedTo("s1"),
    fixed(0.7),
  );
  assert.deepEqual(grown, { host: "s3", port: 2181, name: "s3" });
});

Deno.test("host list update: matched by address too, and the next pass walks the new list", async () => {
  const list = new HostList(hosts("10.0.0.1", "s2"), { randomize: false });
  await list.next();
  assert.equal(list.update(hosts("10.0.0.1"), { host: "10.0.0.1", port: 2181 }), undefined);
  assert.equal(list.update(hosts("s5", "s6"), undefined), undefined, "not connected: no move");
  assert.deepEqual(list.configured, hosts("s5", "s6"));
  const seen = [(await list.next()).address.host, (await list.next()).address.host];
  assert.deepEqual(seen, ["s5", "s6"]);
  assert.throws(() => list.update([], undefined), ConfigurationError);
});

Deno.test("watch table: events fire and consume the watches Java's materialize table says", () => {
  const got: string[] = [];
  const reg = new WatchRegistry((p) => new Chroot("/app").toClient(p), (e) => {
    throw e;
  });
  const w = (name: string) => (e: WatchedEvent) => void got.push(`${name}:${e.type}:${e.path}`);
  const data = w("data"), child = w("child"), exist = w("exist"), rec = w("rec"), per = w("per");
  reg.add("data", "/app/a", data);
  reg.add("child", "/app/a", child);
  reg.add("exist", "/app/b", exist);
  reg.add("recursive", "/app", rec);
  reg.add("persistent", "/app/a", per);
  reg.notify("CHILD", "/app/a", "CONNECTED", 1n);
  assert.deepEqual(got.splice(0), ["child:CHILD:/a", "per:CHILD:/a"]);
  reg.notify("CHANGED", "/app/a", "CONNECTED", 2n);
  assert.deepEqual(got.splice(0), ["data:CHANGED:/a", "per:CHANGED:/a", "rec:CHANGED:/a"]);
  reg.notify("CHANGED", "/app/a", "CONNECTED", 3n);
  assert.deepEqual(got.splice(0), ["per:CHANGED:/a", "rec:CHANGED:/a"]);
  reg.notify("CREATED", "/app/b", "CONNECTED", 4n);
  assert.deepEqual(got.splice(0), ["exist:CREATED:/b", "rec:CREATED:/b"]);
  reg.notify("DELETED", "/app", "CONNECTED", 5n);
  assert.deepEqual(got.splice(0), ["rec:DELETED:/"]);
  assert.deepEqual(reg.lists(), {
    data: [],
    exist: [],
    child: [],
    persistent: ["/app/a"],
    recursive: ["/app"],
  });
});

Deno.test("watch table: a throwing watcher does not stop the others", () => {
  const errors: unknown[] = [];
  const reg = new WatchRegistry((p) => p, (e) => errors.push(e));
  let called = 0;
  reg.add("data", "/a", () => {
    throw new Error("boom");
  });
  reg.add("data", "/a", () => void called++);
  reg.add("data", "/a", () => Promise.reject(new Error("async boom")));
  reg.notify("CHANGED", "/a", "CONNECTED", 1n);
  assert.equal(called, 1);
  assert.equal(errors.length, 1); // the async one lands a microtask later
});

Deno.test("watch table: a watcher added twice counts once; removing one of two leaves the other firing", () => {
  const got: string[] = [];
  const reg = new WatchRegistry((p) => p, (e) => {
    throw e;
  });
  const a = () => void got.push("a");
  const b = () => void got.push("b");
  reg.add("data", "/n", a);
  reg.add("data", "/n", a);
  assert.equal(reg.count("data", "/n"), 1);
  assert.equal(reg.remove("data", "/n", b), 0, "b was never added");
  reg.add("data", "/n", b);
  reg.add("data", "/n", a);
  assert.equal(reg.count("data", "/n"), 2);
  assert.equal(reg.remove("data", "/n", a), 1);
  assert.equal(reg.remove("data", "/n", a), 0);
  assert.equal(reg.count("data", "/n"), 1);
  reg.add("data", "/n", b);
  assert.equal(reg.count("data", "/n"), 1);
  reg.notify("CHANGED", "/n", "CONNECTED", 1n);
  assert.deepEqual(got.splice(0), ["b"]);
  assert.equal(reg.count("data", "/n"), 0, "a one-shot watch is consumed");
  reg.add("child", "/n", a);
  reg.add("child", "/n", b);
  assert.equal(reg.remove("child", "/n"), 2);
  reg.add("child", "/n", a);
  assert.equal(reg.remove("child", "/n"), 1);
  assert.equal(reg.wanted("child", "/n"), false);
});

Deno.test("SetWatches batches stay under the size limit and keep every path", () => {
  const paths = Array.from({ length: 1000 }, (_, i) => `/node-${i}`.padEnd(300, "x"));
  const batches = batchWatchLists({
    data: paths,
    exist: [],
    child: paths,
    persistent: ["/p"],
    recursive: [],
  });
  const total = batches.flatMap((b) => [...b.data, ...b.child, ...b.persistent]);
  assert.equal(total.length, 2001);
  for (const b of batches) {
    const size = [...b.data, ...b.exist, ...b.child, ...b.persistent, ...b.recursive]
      .reduce((n, p) => n + p.length, 0);
    assert.ok(size <= 128 * 1024);
  }
});

Deno.test("event queue: items in order, one consumer, stop drains first", async () => {
  const q = new EventQueue<number>();
  q.push(1);
  q.push(2);
  setTimeout(() => {
    q.push(3);
    q.stop();
  }, 1);
  const got: number[] = [];
  for await (const n of q) got.push(n);
  assert.deepEqual(got, [1, 2, 3]);
  const failing = new EventQueue<number>();
  failing.stop(new Error("x"));
  await assert.rejects(failing.next(), /x/);
});

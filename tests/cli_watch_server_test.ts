/**
 * `zk watch`, `zk wait` and the server commands (four-letter words, acl,
 * whoami, config, version) against a real server.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { chrootedHosts, zk, ZkProcess } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("watch -r prints each change until interrupted, then exits 0", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "/app"], { hosts });
  const watch = new ZkProcess(["watch", "-r", "/app"], { hosts });
  await watch.waitFor((line) => line === "watching /app and below");
  await zk(["create", "/app/a", "1"], { hosts });
  await zk(["set", "/app/a", "2"], { hosts });
  await zk(["rm", "/app/a"], { hosts });
  await watch.waitFor((line) => line === "DELETED /app/a");
  watch.kill("SIGINT");
  assert.equal(await watch.status(), 0);
  assert.deepEqual(watch.lines, ["CREATED /app/a", "CHANGED /app/a", "DELETED /app/a"]);
});

Deno.test("watch --json prints one object per event", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "/n"], { hosts });
  const watch = new ZkProcess(["watch", "--json", "/n"], { hosts });
  await watch.waitFor((line) => line.startsWith("watching"));
  await zk(["set", "/n", "x"], { hosts });
  await watch.waitFor((line) => line.startsWith("{"));
  watch.kill("SIGINT");
  assert.equal(await watch.status(), 0);
  assert.deepEqual(JSON.parse(watch.lines[0]), {
    type: "CHANGED",
    path: "/n",
    state: "CONNECTED",
  });
});

Deno.test("wait returns once the node exists, or once it is gone", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const waiting = zk(["wait", "/ready", "--exists"], { hosts });
  // Its first exists() may come before or after the create: both must end the wait.
  await zk(["create", "/ready"], { hosts });
  assert.equal((await waiting).code, 0);
  const gone = zk(["wait", "/ready", "--gone"], { hosts });
  await zk(["rm", "/ready"], { hosts });
  assert.equal((await gone).code, 0);
});

Deno.test("wait --timeout gives up with exit 1 and one line", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const result = await zk(["wait", "/never", "--timeout", "500"], { hosts });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, "Timeout: /never does not exist after 500 ms\n");
});

Deno.test("four-letter words: ruok, srvr, mntr as a table and as JSON", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  assert.equal((await zk(["ruok"], { hosts })).stdout, "imok\n");
  assert.match((await zk(["srvr"], { hosts })).stdout, /^Zookeeper version: /);
  assert.match((await zk(["4lw", "stat"], { hosts })).stdout, /Clients:/);
  const table = (await zk(["mntr"], { hosts })).stdout;
  assert.match(table, /^zk_version {2,}3\./m);
  const [answer] = JSON.parse((await zk(["mntr", "--json"], { hosts })).stdout);
  assert.equal(typeof answer.answer.zk_znode_count, "number");
  const bad = await zk(["4lw", "toolong"], { hosts });
  assert.equal(bad.code, 2);
});

Deno.test("acl get/set, whoami with --auth, version", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "/secret"], { hosts });
  const auth = ["--auth", "digest:ops:pw"];
  assert.equal((await zk([...auth, "acl", "set", "/secret", "auth::cdrwa"], { hosts })).code, 0);
  const acl = JSON.parse(
    (await zk([...auth, "acl", "get", "--json", "/secret"], { hosts })).stdout,
  );
  assert.equal(acl.acl[0].scheme, "digest");
  assert.match(acl.acl[0].id, /^ops:/);
  const denied = await zk(["get", "/secret"], { hosts });
  assert.deepEqual([denied.code, denied.stderr], [1, "NoAuth: /secret\n"]);
  assert.equal((await zk([...auth, "get", "/secret"], { hosts })).code, 0);
  assert.match((await zk([...auth, "whoami"], { hosts })).stdout, /^digest: ops\n/m);
  const bad = await zk(["acl", "set", "/secret", "world:anyone"], { hosts });
  assert.equal(bad.code, 2);
  const version = JSON.parse((await zk(["version", "--json"], { hosts })).stdout);
  assert.match(version.servers[0].version, /^3\.\d+\.\d+$/);
});

Deno.test("config prints the (empty, standalone) dynamic configuration", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const result = await zk(["config", "--json"], { hosts });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout).members, []);
});

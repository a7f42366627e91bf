/**
 * `zk` browsing and writing commands against a real server, in plain text
 * and with `--json`: ls, get, stat, tree, find, grep, create, set, rm.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { chrootedHosts, zk } from "./cli_helpers.ts";

const fixture = clusterFixture({ freePorts: true, extendedTypes: true });

Deno.test("create, get, set and rm round-trip data; get is byte-exact", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  assert.equal(
    (await zk(["create", "-p", "/app/config", "color=blue"], { hosts })).stdout,
    "/app/config\n",
  );
  const got = await zk(["get", "/app/config"], { hosts });
  assert.equal(got.code, 0);
  assert.equal(got.stdout, "color=blue"); // no newline added off a terminal
  assert.equal((await zk(["set", "/app/config", "color=green"], { hosts })).code, 0);
  const json = JSON.parse((await zk(["get", "--json", "-s", "/app/config"], { hosts })).stdout);
  assert.deepEqual({ data: json.data, encoding: json.encoding }, {
    data: "color=green",
    encoding: "utf8",
  });
  assert.equal(json.stat.version, 1);
  const stale = await zk(["set", "-v", "0", "/app/config", "x"], { hosts });
  assert.equal(stale.code, 1);
  assert.equal(stale.stderr, "BadVersion: /app/config\n");
  assert.equal((await zk(["rm", "-r", "/app"], { hosts })).code, 0);
  const gone = await zk(["get", "/app/config"], { hosts });
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, "NoNode: /app/config\n");
});

Deno.test("binary data goes through get unchanged and as base64 in --json", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const bytes = new Uint8Array([0, 1, 0xfe, 0xff, 10]);
  assert.equal((await zk(["create", "-f", "-", "/bin"], { hosts, stdin: bytes })).code, 0);
  assert.deepEqual((await zk(["get", "/bin"], { hosts })).bytes, bytes);
  const json = JSON.parse((await zk(["get", "--json", "/bin"], { hosts })).stdout);
  assert.equal(json.encoding, "base64");
  assert.deepEqual(Uint8Array.from(atob(json.data), (c) => c.charCodeAt(0)), bytes);
});

Deno.test("create's node kinds: sequential, ephemeral, container and TTL", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  const seq = await zk(["create", "-s", "-p", "/jobs/job-", "x"], { hosts });
  assert.match(seq.stdout, /^\/jobs\/job-\d{10}\n$/);
  // The server shows neither kind in the stat (ephemeralOwner 0): that they are created is all.
  assert.equal((await zk(["create", "--ttl", "60000", "/t"], { hosts })).code, 0);
  assert.equal((await zk(["create", "-c", "/c"], { hosts })).code, 0);
  const ephemeral = JSON.parse((await zk(["create", "--json", "-e", "/e"], { hosts })).stdout);
  assert.notEqual(ephemeral.stat.ephemeralOwner, "0x0");
  // It went with the command's session.
  assert.equal((await zk(["stat", "/e"], { hosts })).code, 1);
});

Deno.test("ls, ls -R, tree and stat show the subtree", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  for (const path of ["/a/b/c", "/a/d", "/e"]) {
    assert.equal((await zk(["create", "-p", path], { hosts })).code, 0);
  }
  assert.equal((await zk(["ls", "/"], { hosts })).stdout, "a\ne\n");
  assert.equal((await zk(["ls", "-R", "/a"], { hosts })).stdout, "/a/b\n/a/b/c\n/a/d\n");
  assert.deepEqual(JSON.parse((await zk(["ls", "--json", "/a"], { hosts })).stdout), {
    path: "/a",
    children: ["b", "d"],
  });
  assert.equal(
    (await zk(["tree", "/a"], { hosts })).stdout,
    "/a\n├── b\n│   └── c\n└── d\n",
  );
  assert.equal((await zk(["tree", "--depth", "1", "/a"], { hosts })).stdout, "/a\n├── b\n└── d\n");
  const tree = JSON.parse((await zk(["tree", "--json", "/a"], { hosts })).stdout);
  assert.deepEqual(tree.children.map((c: { name: string }) => c.name), ["b", "d"]);
  const stat = await zk(["stat", "/a"], { hosts });
  assert.match(stat.stdout, /^cZxid = 0x[0-9a-f]+\n/);
  assert.match(stat.stdout, /\nnumChildren = 2\n/);
  assert.equal(
    JSON.parse((await zk(["stat", "--json", "/a"], { hosts })).stdout).stat.numChildren,
    2,
  );
});

Deno.test("find matches names or relative paths; grep searches data", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "-p", "/svc/db/config", "url=postgres://db:5432\ntimeout=5"], { hosts });
  await zk(["create", "-p", "/svc/cache/config", "url=redis://cache"], { hosts });
  await zk(["create", "-p", "/svc/cache/lock-1"], { hosts });
  assert.equal(
    (await zk(["find", "/svc", "config"], { hosts })).stdout,
    "/svc/cache/config\n/svc/db/config\n",
  );
  assert.equal((await zk(["find", "/", "lock-*"], { hosts })).stdout, "/svc/cache/lock-1\n");
  assert.equal((await zk(["find", "/svc", "db/*"], { hosts })).stdout, "/svc/db/config\n");
  assert.equal(
    (await zk(["grep", "/svc", "postgres"], { hosts })).stdout,
    "/svc/db/config: url=postgres://db:5432\n",
  );
  assert.deepEqual(
    JSON.parse((await zk(["grep", "-i", "--json", "/", "TIMEOUT"], { hosts })).stdout),
    [
      { path: "/svc/db/config", line: "timeout=5" },
    ],
  );
});

Deno.test("rm takes several paths and refuses a version with -r", async (t) => {
  const hosts = await chrootedHosts(fixture, t);
  await zk(["create", "/x"], { hosts });
  await zk(["create", "/y"], { hosts });
  assert.equal((await zk(["rm", "/x", "/y"], { hosts })).code, 0);
  assert.equal((await zk(["ls", "/"], { hosts })).stdout, "");
  const both = await zk(["rm", "-r", "-v", "1", "/x"], { hosts });
  assert.equal(both.code, 2);
  const notEmpty = await zk(["create", "-p", "/p/q"], { hosts });
  assert.equal(notEmpty.code, 0);
  const refused = await zk(["rm", "/p"], { hosts });
  assert.deepEqual([refused.code, refused.stderr], [1, "NotEmpty: /p\n"]);
});

/**
 * Session rules that need no server: the order hosts are tried in after a
 * failure, and how the link to the server is watched.
 */
import assert from "node:assert/strict";
import { HostList } from "../lib/session/hosts.ts";
import { linkTimings } from "../lib/session/session.ts";

Deno.test("a new pass over the hosts never starts with the address that just failed", async () => {
  const hosts = [1, 2, 3].map((i) => ({ host: `10.0.0.${i}`, port: 2181 }));
  const list = new HostList(hosts, { randomize: true });
  let previous = (await list.next()).address;
  let passes = 0;
  for (let i = 0; i < 600; i++) {
    const { address, wrapped } = await list.next(previous);
    if (wrapped) {
      passes++;
      assert.notDeepEqual(address, previous, `pass ${passes} started with the failed host`);
    }
    previous = address;
  }
  assert.ok(passes >= 199);
});

Deno.test("a single host is still retried", async () => {
  const only = { host: "10.0.0.1", port: 2181 };
  const list = new HostList([only], { randomize: true });
  const first = (await list.next()).address;
  assert.equal(first.host, only.host);
  assert.equal((await list.next(first)).address.host, only.host);
});

Deno.test("a silent link is judged on a quarter of the session, never later than the Java client's 2/3", () => {
  for (const timeout of [2000, 4000, 10_000, 12_000, 40_000]) {
    const { readTimeout, pingInterval } = linkTimings(timeout);
    assert.ok(readTimeout <= (timeout * 2) / 3 + 1e-9, `${timeout}: ${readTimeout}`);
    assert.ok(readTimeout >= Math.min(timeout / 4, 2000) - 1e-9);
    assert.equal(pingInterval, readTimeout / 3);
  }
  assert.equal(linkTimings(12_000).readTimeout, 3000);
});

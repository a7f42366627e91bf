/**
 * Re-registering 10,000 watches after a reconnect: the time from a cut
 * connection until a request sent after it is answered (requests queued
 * while disconnected go out after the watches are re-registered), and the
 * SetWatches packets and bytes sent on the new connection. Runs under Deno
 * (`deno run -A bench/rewatch_bench.ts`) and Bun (`bun bench/rewatch_bench.ts`);
 * `WATCHES` changes the count. It starts its own server through the harness.
 *
 * @module
 */

import { connect, State } from "../mod.ts";
import { FaultyTransport, ZooKeeperCluster } from "../lib/testing/mod.ts";

const count = Number(
  (globalThis as { process?: { env: Record<string, string> } }).process?.env
    .WATCHES ?? 10_000,
);
const runtime = (globalThis as { Bun?: unknown }).Bun ? "Bun" : "Deno";
const cluster = await ZooKeeperCluster.start({ freePorts: true });
try {
  const transport = new FaultyTransport();
  const zk = await connect(cluster.connectionString(), { transport, sessionTimeout: 30_000 });
  const root = `/rewatch-${Date.now().toString(36)}`;
  await zk.create(root);
  const paths = Array.from(
    { length: count },
    (_, i) => `${root}/node-with-a-typical-name-${String(i).padStart(6, "0")}`,
  );
  for (let i = 0; i < paths.length; i += 1000) {
    await Promise.all(paths.slice(i, i + 1000).map((p) => zk.create(p)));
  }
  let fired = 0;
  const watcher = (): void => {
    fired++;
  };
  for (let i = 0; i < paths.length; i += 1000) {
    await Promise.all(paths.slice(i, i + 1000).map((p) => zk.get(p, { watch: watcher })));
  }
  let packets = 0;
  let bytes = 0;
  transport.addRule((frame) => {
    const setWatches = frame.kind === "setWatches" || frame.opCode === 101 || frame.opCode === 105;
    if (frame.direction === "out" && setWatches && frame.connection > 1) {
      packets++;
      bytes += frame.bytes.length;
    }
    return undefined;
  });
  const started = performance.now();
  transport.cutAll();
  // A request sent before the client saw the cut would fail with it: ask once it is seen.
  while (zk.state === State.CONNECTED) await new Promise((r) => setTimeout(r, 1));
  await zk.exists("/");
  const elapsed = performance.now() - started;
  // The watches are really back: a change fires one.
  await zk.set(paths[count - 1], "changed");
  const deadline = Date.now() + 10_000;
  while (fired === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  console.log(
    `${runtime}: ${count} watches re-registered in ${elapsed.toFixed(0)} ms ` +
      `(cut to first reply), ${packets} SetWatches packet(s), ${bytes} bytes; ` +
      `a change fired ${fired === 1 ? "its watch" : `${fired} watches (expected 1)`}`,
  );
  await zk.delete(root, { recursive: true });
  await zk.close();
} finally {
  await cluster.stop();
}

/**
 * Run by testing_cleanup_test.ts (under Deno or Bun): starts a standalone
 * server, prints where it lives, then waits to be signalled. Does nothing
 * when merely imported (e.g. by `deno test tests/testing_*.ts`).
 */
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

if (import.meta.main) {
  const cluster = await ZooKeeperCluster.start({ freePorts: true });
  console.log(JSON.stringify({ dir: cluster.dir, pid: cluster.members[0].pid }));
  setInterval(() => {}, 1000);
}

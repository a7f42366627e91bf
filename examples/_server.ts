/**
 * Where the examples find ZooKeeper: the ensemble in `ZK_HOSTS`, or a
 * server of their own started through the bundled harness (and removed at
 * the end). Run `deno run -A tools/provision.ts` once if ZooKeeper is not
 * installed.
 *
 * @module
 */
import { ZooKeeperCluster } from "../lib/testing/mod.ts";

/** Runs `fn` with a connection string, starting a local server when `ZK_HOSTS` is unset. */
export async function withServer(fn: (hosts: string) => Promise<void>): Promise<void> {
  const external = Deno.env.get("ZK_HOSTS");
  if (external) return await fn(external);
  console.log("starting an embedded ZooKeeper (set ZK_HOSTS to use your own)…");
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  await fn(cluster.connectionString());
}

/** A fresh chroot for one run, so examples never see each other's znodes. */
export function freshRoot(name: string): string {
  return `/zk-example-${name}-${Date.now().toString(36)}`;
}

/**
 * The harness under Bun: `bun tests/bun/harness_smoke.ts` starts a
 * standalone server, asks it `srvr`, opens a raw session through a
 * FaultProxy, stops everything and exits 0 (1 with the error otherwise).
 */
import process from "node:process";
import { FaultProxy, RawSession, ZooKeeperCluster } from "../../lib/testing/mod.ts";

async function main(): Promise<void> {
  const cluster = await ZooKeeperCluster.start({ freePorts: true });
  try {
    const [member] = cluster.members;
    const srvr = await member.fourLetterWord("srvr");
    if (!/Mode: standalone/.test(srvr)) throw new Error(`unexpected srvr answer:\n${srvr}`);
    console.log(srvr.split("\n")[0]);

    const proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
    try {
      const session = await RawSession.connect(proxy.address);
      await session.create("/bun", "smoke", { ephemeral: true });
      if (!(await session.exists("/bun"))) throw new Error("/bun was not created");
      await session.close();
    } finally {
      await proxy.close();
    }
  } finally {
    await cluster.stop();
  }
  if (cluster.members[0].running) throw new Error("the member still runs after stop()");
  console.log("harness smoke test passed under", "Bun" in globalThis ? "Bun" : "another runtime");
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});

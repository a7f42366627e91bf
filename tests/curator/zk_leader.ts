/**
 * The @zk/client side of the Curator election tests, as a process of its own
 * so a test can kill it (SIGKILL) like a Curator one: the same protocol as
 * `java/CuratorLeader.java`.
 *
 *   deno run -A tests/curator/zk_leader.ts latch|selector HOSTS PATH ID MARKERS
 *
 * Prints `{"event":"ready"}` once its node is queued, and on becoming leader
 * creates MARKERS/leader (ephemeral; NodeExists = another leader in office:
 * `"double":true`) and prints `{"event":"leader",...}` with the participants
 * it sees. It leads until it is killed.
 */
import { connect, NodeExistsError, type ZooKeeperClient } from "../../mod.ts";
import { LeaderLatch, LeaderSelector, type Participant } from "../../recipes/curator/mod.ts";

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

async function lead(
  zk: ZooKeeperClient,
  id: string,
  markers: string,
  participants: Participant[],
): Promise<void> {
  let double = false;
  try {
    await zk.create(`${markers}/leader`, id, { ephemeral: true });
  } catch (error) {
    if (!(error instanceof NodeExistsError)) throw error;
    double = true;
  }
  emit({ event: "leader", id, double, participants });
}

const [mode, hosts, path, id, markers] = Deno.args;
const zk = await connect(hosts, { sessionTimeout: 4_000 });
if (mode === "latch") {
  const latch = new LeaderLatch(zk, path, { id });
  await latch.start();
  emit({ event: "ready" });
  await latch.leadership();
  await lead(zk, id, markers, await latch.participants());
} else if (mode === "selector") {
  const selector = new LeaderSelector(zk, path, async (leadership) => {
    await lead(zk, id, markers, await selector.participants());
    await new Promise((resolve) => leadership.addEventListener("abort", resolve));
  }, { id });
  selector.start();
  // The selector queues in the background: say "ready" once our node is in.
  while (!(await selector.participants()).some((p) => p.id === id)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  emit({ event: "ready" });
} else {
  throw new Error(`unknown mode ${mode}`);
}
// Leads (or waits) until killed: the open session keeps the process alive.

/**
 * Three workers take turns in a critical section guarded by a kazoo-format
 * lock; each prints when it enters and leaves, and the work inside stops if
 * the lock's signal says ownership is at risk.
 *
 * `deno run -A examples/lock.ts`
 *
 * @module
 */
import { connect } from "../mod.ts";
import { freshRoot, withServer } from "./_server.ts";

await withServer(async (hosts) => {
  const root = freshRoot("lock");
  const workers = await Promise.all(
    ["a", "b", "c"].map(async (name) => ({ name, zk: await connect(hosts) })),
  );
  let inside = 0;
  await Promise.all(workers.map(async ({ name, zk }) => {
    for (let round = 0; round < 2; round++) {
      await using held = await zk.lock(`${root}/lock`, `worker-${name}`).acquire({
        timeout: 30_000,
      });
      inside++;
      console.log(`worker-${name} holds the lock (inside: ${inside})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      held.signal.throwIfAborted(); // stop if the session was SUSPENDED or LOST meanwhile
      inside--;
    }
  }));
  await workers[0].zk.delete(root, { recursive: true });
  for (const { zk } of workers) await zk.close();
  console.log("every hold was alone in the critical section");
});

/**
 * Three candidates, one leader at a time; the leader's process "crashes"
 * (its session closes) and another one takes over.
 *
 * `deno run -A examples/election.ts`
 *
 * @module
 */
import { connect } from "../mod.ts";
import { freshRoot, withServer } from "./_server.ts";

await withServer(async (hosts) => {
  const root = freshRoot("election");
  const candidates = await Promise.all(
    ["node-1", "node-2", "node-3"].map(async (name) => ({ name, zk: await connect(hosts) })),
  );
  const leaders: string[] = [];
  const stop = new AbortController();
  const runs = candidates.map(({ name, zk }) =>
    zk.election(`${root}/election`, name).run(async (leadership) => {
      leaders.push(name);
      console.log(`${name} leads`);
      await new Promise<void>((resolve) =>
        leadership.addEventListener("abort", () => resolve(), { once: true })
      );
    }, { signal: stop.signal }).catch(() => {})
  );
  const waitFor = async (n: number) => {
    while (leaders.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await waitFor(1);
  const first = candidates.find((c) => c.name === leaders[0])!;
  console.log(`${first.name} crashes`);
  await first.zk.close();
  await waitFor(2);
  console.log(`failover: ${leaders[1]} took over`);
  stop.abort();
  await Promise.all(runs);
  const survivor = candidates.find((c) => c !== first)!;
  await survivor.zk.delete(root, { recursive: true });
  for (const { zk } of candidates) await zk.close();
});

/**
 * A TreeCache mirrors a subtree in memory and reports every change; reads
 * from it cost no round trip.
 *
 * `deno run -A examples/cache.ts`
 *
 * @module
 */
import { connect, TreeCache } from "../mod.ts";
import { freshRoot, withServer } from "./_server.ts";

await withServer(async (hosts) => {
  const root = freshRoot("cache");
  await using zk = await connect(hosts);
  await zk.create(`${root}/services/web`, "10.0.0.1:80", { makeParents: true });
  await using cache = new TreeCache(zk, `${root}/services`);
  let changes = 0;
  cache.addListener((event) => {
    console.log(`cache: ${event.type} ${event.path ?? ""}`);
    if (event.type !== "INITIALIZED") changes++;
  });
  await cache.start();
  await zk.create(`${root}/services/db`, "10.0.0.2:5432");
  await zk.set(`${root}/services/web`, "10.0.0.3:80");
  while (cache.get(`${root}/services/web`)?.stat.version !== 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const web = cache.get(`${root}/services/web`)!;
  console.log(`web is at ${new TextDecoder().decode(web.data ?? new Uint8Array())}`);
  console.log(`services: ${cache.children(`${root}/services`)?.sort().join(", ")}`);
  await cache.close();
  await zk.delete(root, { recursive: true });
});

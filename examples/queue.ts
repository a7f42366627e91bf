/**
 * A producer puts jobs on a LockingQueue (kazoo's format); two consumers
 * take them, and an entry is consumed only once its job is done, so a
 * consumer that dies mid-job leaves it for the other.
 *
 * `deno run -A examples/queue.ts`
 *
 * @module
 */
import { connect } from "../mod.ts";
import { freshRoot, withServer } from "./_server.ts";

await withServer(async (hosts) => {
  const root = freshRoot("queue");
  await using producer = await connect(hosts);
  const queue = producer.lockingQueue(`${root}/jobs`);
  await queue.putAll(["job-1", "job-2", "job-3", "job-4"]);
  await queue.put("urgent", { priority: 1 }); // ahead of the others
  const decoder = new TextDecoder();
  const done: string[] = [];
  await Promise.all(["consumer-a", "consumer-b"].map(async (name) => {
    await using zk = await connect(hosts);
    const jobs = zk.lockingQueue(`${root}/jobs`);
    while (true) {
      const job = await jobs.get({ timeout: 500 });
      if (job === null) return; // empty for half a second: done
      done.push(decoder.decode(job));
      console.log(`${name} did ${decoder.decode(job)}`);
      await jobs.consume();
    }
  }));
  console.log(`all done, each once: ${done.sort().join(", ")}`);
  await producer.delete(root, { recursive: true });
});

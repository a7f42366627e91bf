/**
 * One bench worker for @zk/client, run under Deno or Bun by
 * `bench/compare.ts`: `<hosts> <workload> <path> <ops>` where workload is
 * `pipelined` (1,000 gets in flight) or `sequential`. Prints one JSON line
 * with the wall time and this process's own user and system CPU around the
 * measured section (a warm-up runs first).
 *
 * @module
 */
import process from "node:process";
import { connect } from "../../mod.ts";

const [hosts, workload, path, opsText] = process.argv.slice(2);
const ops = Number(opsText);
const zk = await connect(hosts, { sessionTimeout: 30_000 });

async function pipelined(count: number): Promise<void> {
  let issued = 0;
  let completed = 0;
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const onDone = (): void => {
    completed++;
    if (issued < count) issue();
    else if (completed === count) resolve();
  };
  const issue = (): void => {
    issued++;
    zk.get(path).then(onDone, reject);
  };
  const window = Math.min(1000, count);
  for (let i = 0; i < window; i++) issue();
  await promise;
}

async function sequential(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await zk.get(path);
}

const run = workload === "pipelined" ? pipelined : sequential;
await run(Math.max(1000, Math.floor(ops / 5)));
console.log("begin"); // the runner samples the server's CPU here and at "end"
const cpu = process.cpuUsage();
const started = performance.now();
await run(ops);
const wall = performance.now() - started;
const used = process.cpuUsage(cpu);
console.log("end");
await zk.close();
console.log(JSON.stringify({ ops, wallMs: wall, userUs: used.user, sysUs: used.system }));

// One bench worker for node-zookeeper-client under Node, run by bench/compare.ts:
// `<hosts> <workload> <path> <ops>`; prints one JSON line (see worker_zk.ts).
import process from "node:process";
import { createRequire } from "node:module";

const require = createRequire(process.env.NZC_DIR + "/");
const zookeeper = require("node-zookeeper-client");
const [hosts, workload, path, opsText] = process.argv.slice(2);
const ops = Number(opsText);
const zk = zookeeper.createClient(hosts, { sessionTimeout: 30000 });
await new Promise((resolve) => {
  zk.once("connected", resolve);
  zk.connect();
});

function pipelined(count) {
  return new Promise((resolve, reject) => {
    let issued = 0;
    let completed = 0;
    const onDone = (error) => {
      if (error) return reject(error);
      completed++;
      if (issued < count) issue();
      else if (completed === count) resolve();
    };
    const issue = () => {
      issued++;
      zk.getData(path, onDone);
    };
    const window = Math.min(1000, count);
    for (let i = 0; i < window; i++) issue();
  });
}

async function sequential(count) {
  for (let i = 0; i < count; i++) {
    await new Promise((resolve, reject) =>
      zk.getData(path, (error, data) => error ? reject(error) : resolve(data))
    );
  }
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
zk.close();
console.log(JSON.stringify({ ops, wallMs: wall, userUs: used.user, sysUs: used.system }));
process.exit(0);
